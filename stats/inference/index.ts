export * from './dawidSkene.ts';
export * from './majority.ts';
export * from './entries.ts';
export * from './extend.ts';
export * from './json.ts';
