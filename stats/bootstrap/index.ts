export * from './prng.ts';
export * from './bootstrap.ts';
export * from './report.ts';
export * from './resample-ratings.ts';
