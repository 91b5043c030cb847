export * from './dawidSkene.ts';
export * from './majority.ts';
