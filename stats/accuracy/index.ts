export * from './accuracy.ts';
export * from './reference.ts';
