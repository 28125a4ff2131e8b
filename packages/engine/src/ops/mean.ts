import type { Tensor } from '../tensor.js';
import { reduce } from './sum.js';

/** Mean of all elements (a scalar). */
export const mean = (x: Tensor): Tensor => reduce(x, 1 / x.size);
