import { Act, type ActName } from '@reslab/core-wasm';
import { gradAcc, OpNode, passGrad, record, reuseNode, type Tensor } from '../tensor.js';

export const actCode = (name: ActName): number => {
  const c = Act[name];
  if (c === undefined) throw new Error(`unknown activation '${name}': use ${Object.keys(Act).join(', ')}`);
  return c;
};

class BiasActNode extends OpNode {
  x!: Tensor;
  bias: Tensor | null = null;
  act = 0;
  slope = 0;
  rows = 0;
  cols = 0;
  backward(): void {
    const { x, bias, y, rows, cols } = this;
    const be = x.b;
    const dz = be.alloc(x.size);
    be.k.biasActBackward(this.act, x.ptr, bias ? bias.ptr : 0, y.ptr, y.grad, dz, rows, cols, this.slope, 0);
    if (bias?.requiresGrad) {
      const acc = gradAcc(bias);
      be.k.colSum(dz, rows, cols, bias.grad, acc);
    }
    if (x.requiresGrad) passGrad(x, dz);
  }
}

/** y = g(x + bias) row-wise (bias may be null); x: rows x cols (1-D = one row). */
export function biasAct(x: Tensor, bias: Tensor | null, act: number, slope = 0): Tensor {
  const cols = x.shape.length ? x.shape[x.shape.length - 1] : 1;
  const rows = x.size / cols;
  if (bias && bias.size !== cols) throw new Error(`biasAct: bias has ${bias.size} values, expected ${cols}`);
  const be = x.b;
  const n = reuseNode(be, BiasActNode);
  n.x = x;
  n.bias = bias;
  n.act = act;
  n.slope = slope;
  n.rows = rows;
  n.cols = cols;
  const y = n.y.retarget(x.shape);
  be.k.biasAct(act, x.ptr, bias ? bias.ptr : 0, y.ptr, rows, cols, slope);
  return record(y, n.backwardFn, x, bias);
}

/** y = g(x) elementwise. */
export function activation(x: Tensor, act: number | ActName, slope = 0): Tensor {
  return biasAct(x, null, typeof act === 'number' ? act : actCode(act), slope);
}
export const relu = (x: Tensor): Tensor => activation(x, Act.relu);
export const sigmoid = (x: Tensor): Tensor => activation(x, Act.sigmoid);
export const tanh = (x: Tensor): Tensor => activation(x, Act.tanh);
