/**
 * The current case machine version (workflows/machines/case@5/): what the runtime starts new
 * cases on, and the helpers the runtime, assignment and verify use. Older versions live frozen
 * in their own folders and are reached only through the engine's registry.
 */
export * from './machines/case@5/types.ts';
export * from './machines/case@5/helpers.ts';
export { caseMachine, type CaseMachine } from './machines/case@5/machine.ts';
