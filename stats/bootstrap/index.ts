export * from './prng.ts';
export * from './bootstrap.ts';
