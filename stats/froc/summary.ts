/**
 * Per arm × reader localisation scores for a report or dashboard: wAFROC and AFROC FOMs, the
 * empirical FROC and wAFROC points, and the lesion-level sensitivity (LLF) against non-lesion
 * localisations per case (NLF) with every mark counted (the last FROC point).
 */
import { type AfrocPoint, afrocPoints, type FrocPoint, frocFom, frocPoints } from './fom.ts';
import type { FrocStudy } from './study.ts';

export interface FrocReaderSummary {
  arm: string;
  reader: string;
  wAFROC: number;
  AFROC: number;
  /** All marks counted: lesions localised / lesions, NLs / cases. */
  llf: number;
  nlf: number;
  froc: FrocPoint[];
  wafroc: AfrocPoint[];
}

export function frocSummary(s: FrocStudy): FrocReaderSummary[] {
  return s.arms.flatMap((arm, a) =>
    s.readers.map((reader, j) => {
      const froc = frocPoints(s, a, j);
      const last = froc[froc.length - 1];
      return {
        arm,
        reader,
        wAFROC: frocFom(s, 'wAFROC', a, j),
        AFROC: frocFom(s, 'AFROC', a, j),
        llf: last.llf,
        nlf: last.nlf,
        froc,
        wafroc: afrocPoints(s, a, j, true),
      };
    }),
  );
}
