export * from './icc.ts';
export * from './agreement.ts';
export * from './kendall.ts';
export * from './entries.ts';
