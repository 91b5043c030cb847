export * from './accuracy.ts';
export * from './reference.ts';
export * from './entries.ts';
export * from './truth.ts';
