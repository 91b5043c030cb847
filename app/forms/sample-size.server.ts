/** The sample-size planner's inputs: one zod schema, server-only (the page's bundle stays free of zod). */
import { z } from 'zod';

const num = (min: number, max: number) => z.coerce.number({ error: 'enter a number' }).min(min, `at least ${min}`).max(max, `at most ${max}`);
/** The planning inputs, plain numbers (defaults: the Van Dyke pilot, Hillis et al. 2011). */
export const sampleSizeSchema = z.object({
  varTR: num(-1, 1).default(0.0002004),
  varError: num(0, 1).default(0.0008023),
  cov1: num(-1, 1).default(0.0003466),
  cov2: num(-1, 1).default(0.0003441),
  cov3: num(-1, 1).default(0.000239),
  pilotCases: num(2, 1e6).default(114),
  readers: num(2, 1000).default(6),
  effect: num(0.001, 1).default(0.05),
  power: num(0.5, 0.999).default(0.8),
  alpha: num(0.001, 0.5).default(0.05),
  sensitivity: num(0, 1).default(0.9),
  specificity: num(0, 1).default(0.85),
  prevalence: num(0.001, 0.999).default(0.2),
  halfWidth: num(0.005, 0.5).default(0.05),
});
export type SampleSizeInputs = z.infer<typeof sampleSizeSchema>;
