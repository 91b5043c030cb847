export * from './types.ts';
export * from './geometry.ts';
export * from './hungarian.ts';
export * from './match.ts';
export * from './rasterise.ts';
export * from './staple.ts';
export * from './agreement.ts';
