/** CSV of the final table (one row per cell) and of every run. */
import type { Analysis, JobRecord } from '@reslab/engine';

const esc = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const row = (vs: unknown[]): string => vs.map(esc).join(',');
const axisName = (k: string): string => (k.includes('.') ? k.slice(k.indexOf('.') + 1) : k);

export function tableCsv(a: Analysis): string {
  const header = [
    ...a.axes.map(axisName),
    'chosen_lr',
    'runs',
    'diverged',
    'train_loss_median',
    'train_loss_min',
    'train_loss_max',
    'test_acc_median',
    'test_acc_min',
    'test_acc_max',
    'test_loss_median',
    'grad_first_over_last_at_init',
    'fold_max_abs_diff',
    'status',
  ];
  const lines = [row(header)];
  for (const c of a.cells) {
    lines.push(
      row([
        ...a.axes.map((k) => c.cell[k]),
        c.chosenLr,
        c.runs,
        c.diverged,
        c.trainLoss.median,
        c.trainLoss.min,
        c.trainLoss.max,
        c.testAcc.median,
        c.testAcc.min,
        c.testAcc.max,
        c.testLoss.median,
        c.gradRatio,
        c.foldMaxAbsDiff,
        c.status,
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function runsCsv(axes: string[], records: JobRecord[]): string {
  const header = [
    'id',
    'kind',
    ...axes.map(axisName),
    'lr',
    'seed',
    'status',
    'diverged_at',
    'steps',
    'final_train_loss',
    'final_test_loss',
    'final_test_acc',
    'fold_max_abs_diff',
    'time_ms',
  ];
  const lines = [row(header)];
  for (const r of records) {
    const res = r.result;
    lines.push(
      row([
        r.id,
        r.kind,
        ...axes.map((k) => r.cell?.[k]),
        r.lr,
        r.seed,
        r.error ? 'error' : (res?.status ?? ''),
        res?.divergedAt,
        res?.steps,
        res?.finalTrainLoss,
        res?.finalTestLoss,
        res?.finalTestAcc,
        r.fold?.maxAbsDiff ?? r.twin?.foldAfter?.maxAbsDiff,
        r.timeMs,
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}
