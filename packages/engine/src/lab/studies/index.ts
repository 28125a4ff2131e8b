import { SpecError } from '../../spec.js';
import type { StudyDef } from '../study.js';
import { degradationStudy } from './degradation.js';
import { foldStudy } from './fold.js';
import { initStudy } from './init.js';
import { lesionStudy } from './lesion.js';
import { middleStudy } from './middle.js';
import { placementStudy } from './placement.js';
import { shatterStudy } from './shatter.js';
import { shortcutsStudy } from './shortcuts.js';
import { skipStudy } from './skip.js';

/** The built-in studies, in the order `reslab list` shows them. */
export const STUDIES: readonly StudyDef[] = [
  skipStudy,
  foldStudy,
  middleStudy,
  degradationStudy,
  placementStudy,
  shortcutsStudy,
  initStudy,
  lesionStudy,
  shatterStudy,
];

export function getStudy(name: string): StudyDef {
  const s = STUDIES.find((d) => d.name === name);
  if (!s) throw new SpecError(`unknown study '${name}': available studies are ${STUDIES.map((d) => d.name).join(', ')}`);
  return s;
}

export { degradationStudy, foldStudy, initStudy, lesionStudy, middleStudy, placementStudy, shatterStudy, shortcutsStudy, skipStudy };
