export * from './auc.ts';
