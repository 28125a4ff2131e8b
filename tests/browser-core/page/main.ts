import { runCases } from './run.js';

declare global {
  interface Window {
    __result?: unknown;
  }
}

const out = document.getElementById('out')!;
try {
  const page = await runCases();
  const worker = await new Promise<unknown>((resolve) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ ok: false, error: e.message });
  });
  window.__result = { ok: true, page, worker };
  const lines = [`relaxed SIMD build: ${page.relaxed}`];
  for (const [name, c] of Object.entries(page.results)) lines.push(`${name} (${c.length} values): ${c.slice(0, 12).join(' ')} ...`);
  lines.push(`module worker: ${JSON.stringify(worker).length > 2 ? 'done' : 'no answer'}`);
  out.textContent = lines.join('\n');
} catch (e) {
  window.__result = { ok: false, error: String(e) };
  out.textContent = `error: ${String(e)}`;
}
