import { SpecError } from '../../spec.js';
import type { StudyDef } from '../study.js';
import { foldStudy } from './fold.js';
import { skipStudy } from './skip.js';

/** The built-in studies, in the order `reslab list` shows them. */
export const STUDIES: readonly StudyDef[] = [skipStudy, foldStudy];

export function getStudy(name: string): StudyDef {
  const s = STUDIES.find((d) => d.name === name);
  if (!s) throw new SpecError(`unknown study '${name}': available studies are ${STUDIES.map((d) => d.name).join(', ')}`);
  return s;
}

export { foldStudy, skipStudy };
