import { runCases } from './run.js';

runCases().then(
  (r) => postMessage({ ok: true, ...r }),
  (e: unknown) => postMessage({ ok: false, error: String(e) }),
);
