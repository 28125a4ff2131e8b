/** Import a checkpoint saved by the CLI (JSON) and inspect it. */
import type { WorkerPool } from '../worker/pool';

export function CheckpointView({ pool: _pool }: { pool: WorkerPool }) {
  return (
    <section aria-labelledby="ckpt-h">
      <h2 id="ckpt-h">Inspect a checkpoint</h2>
      <p className="muted">Checkpoints arrive with the engine's checkpoint format.</p>
    </section>
  );
}
