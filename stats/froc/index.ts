export * from './study.ts';
export * from './fom.ts';
export * from './jafroc.ts';
export * from './summary.ts';
