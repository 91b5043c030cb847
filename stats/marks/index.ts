export * from './types.ts';
export * from './geometry.ts';
export * from './hungarian.ts';
export * from './match.ts';
