export * from './study.ts';
export * from './fom.ts';
export * from './or.ts';
export * from './dbm.ts';
export * from './analysis.ts';
