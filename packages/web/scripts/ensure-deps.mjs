// `npm run build -w @reslab/web` on its own: if the engine (and the wasm core under it) has not been
// built yet, build the web lab's dependencies first through turbo (`@reslab/web^...` = its dependencies
// only, so this never recurses). Under `turbo run build` they are already built and this does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const needed = [join(root, 'packages', 'engine', 'dist', 'index.js'), join(root, 'packages', 'core-wasm', 'dist', 'index.js')];
if (!needed.every((f) => existsSync(f))) {
  console.log('@reslab/web: building the engine first (turbo run build --filter=@reslab/web^...)');
  const turbo = join(root, 'node_modules', 'turbo', 'bin', 'turbo');
  const r = spawnSync(process.execPath, [turbo, 'run', 'build', '--filter=@reslab/web^...', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  });
  if (r.status !== 0) {
    console.error('@reslab/web: building the engine failed; run `npm run build` at the repository root to see why');
    process.exit(r.status ?? 1);
  }
}
