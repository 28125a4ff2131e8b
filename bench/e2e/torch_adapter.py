#!/usr/bin/env python3
"""reslab's skip study written in PyTorch, the way a researcher would write it.

Not part of reslab: a peer for the end-to-end benchmark (bench/e2e/run.mjs writes the
job list and the data, then times this script next to `reslab study skip`).

Every job trains a residual MLP (784 -> width, depth hidden layers as plain / post-k /
branch-k / preact-k blocks, -> 10) with Adam on the same MNIST digits, batch 64, for the
same number of steps; evaluates train loss/accuracy on the first 4096 training digits and
test loss/accuracy every `evalEvery` steps and at the end (as reslab does); measures the
per-layer gradient norms at initialisation; stops a run whose loss is not finite.
One thread per run (torch.set_num_threads(1)), `--procs` runs in parallel (multiprocessing),
longest jobs first, like reslab's worker pool.

    python3 torch_adapter.py WORKDIR [--procs 2] [--jobs i,j,...] [--foreach]

Needs PyTorch for Python 3 (CPU): on Debian/Ubuntu `apt-get install -y python3-torch`.
Debian's build calls the reference BLAS (libblas3, ~5 GFLOP/s); with OpenBLAS
(`apt-get install libopenblas0-pthread`, or LD_LIBRARY_PATH pointing at its
openblas-pthread folder) its matrix products are ~10x faster: run.mjs measures both.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    sys.stderr.write(
        f"torch_adapter.py needs PyTorch and NumPy ({e}).\n"
        "Install them with: apt-get install -y python3-torch   (Debian/Ubuntu; or pip install torch numpy)\n"
    )
    sys.exit(3)

EVAL_TRAIN_MAX = 4096
EVAL_CHUNK = 512
ACTS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def parse_variant(v):
    if v == "plain":
        return "plain", 1
    block, k = v.split("-")
    return block, int(k)


class ResMLP(nn.Module):
    def __init__(self, variant, depth, width, activation, input_dim, output_dim):
        super().__init__()
        self.block, self.k = parse_variant(variant)
        self.g = ACTS[activation]
        self.inp = nn.Linear(input_dim, width)
        n_blocks = depth if self.block == "plain" else depth // self.k
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Linear(width, width) for _ in range(self.k)) for _ in range(n_blocks)
        )
        self.out = nn.Linear(width, output_dim)
        for m in self.modules():
            if isinstance(m, nn.Linear):  # He-normal weights, zero biases (reslab's init 'he')
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / m.in_features))
                nn.init.zeros_(m.bias)

    def forward(self, x):
        g, k = self.g, self.k
        a = self.inp(x)
        if self.block != "preact":
            a = g(a)
        for fs in self.blocks:
            if self.block == "plain":
                a = g(fs[0](a))
            elif self.block == "post":
                h = a
                for l in range(k - 1):
                    h = g(fs[l](h))
                a = g(fs[k - 1](h) + a)
            elif self.block == "branch":
                h = a
                for l in range(k):
                    h = g(fs[l](h))
                a = a + h
            else:  # preact
                h = a
                for l in range(k):
                    h = fs[l](g(h))
                a = a + h
        if self.block == "preact":
            a = g(a)
        return self.out(a)


def load_data(workdir):
    meta = json.load(open(os.path.join(workdir, "data.json")))
    raw = open(os.path.join(workdir, "data.bin"), "rb").read()
    d, n_tr, n_te = meta["inputDim"], meta["nTrain"], meta["nTest"]
    off = 0

    def take(dtype, n):
        nonlocal off
        a = np.frombuffer(raw, dtype=dtype, count=n, offset=off)
        off += n * 4
        return torch.from_numpy(a.copy())

    tx = take(np.float32, n_tr * d).view(n_tr, d)
    ty = take(np.int32, n_tr).long()
    sx = take(np.float32, n_te * d).view(n_te, d)
    sy = take(np.int32, n_te).long()
    return meta, tx, ty, sx, sy


DATA = None


def init_worker(workdir):
    global DATA
    torch.set_num_threads(1)
    DATA = load_data(workdir)


@torch.no_grad()
def score(model, x, y):
    loss, hits = 0.0, 0
    for i in range(0, len(x), EVAL_CHUNK):
        out = model(x[i : i + EVAL_CHUNK])
        loss += F.cross_entropy(out, y[i : i + EVAL_CHUNK], reduction="sum").item()
        hits += (out.argmax(1) == y[i : i + EVAL_CHUNK]).sum().item()
    return loss / len(x), hits / len(x)


def run_job(job, foreach=False):
    meta, tx, ty, sx, sy = DATA
    t0 = time.perf_counter()
    torch.manual_seed(job["seed"])
    m = job["model"]
    model = ResMLP(m["variant"], m["depth"], m["width"], m["activation"], meta["inputDim"], meta["outputDim"])
    t = job["train"]
    opt = torch.optim.Adam(
        model.parameters(), lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"], **({"foreach": True} if foreach else {})
    )
    batch = min(t["batchSize"], len(tx))
    per_epoch = len(tx) // batch
    total = t["steps"]
    gen = torch.Generator().manual_seed(job["seed"])
    n_eval_train = min(len(tx), EVAL_TRAIN_MAX)

    # gradient norms per layer at initialisation (one forward/backward, no step)
    model.train()
    perm = torch.randperm(len(tx), generator=gen)
    loss = F.cross_entropy(model(tx[perm[:batch]]), ty[perm[:batch]])
    loss.backward()
    init_grads = [p.grad.norm().item() for n, p in model.named_parameters() if n.endswith("weight")]
    opt.zero_grad(set_to_none=True)

    history, status = [], "ok"
    for step in range(total):
        pos = step % per_epoch
        if pos == 0 and step > 0:
            perm = torch.randperm(len(tx), generator=gen)
        idx = perm[pos * batch : (pos + 1) * batch]
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tx[idx]), ty[idx])
        lv = loss.item()
        if not math.isfinite(lv):
            status = "diverged"
            break
        loss.backward()
        opt.step()
        n = step + 1
        if n == total or n % t["evalEvery"] == 0:
            model.eval()
            tr = score(model, tx[:n_eval_train], ty[:n_eval_train])
            te = score(model, sx, sy)
            if not (math.isfinite(tr[0]) and math.isfinite(te[0])):
                status = "diverged"
                break
            history.append({"step": n, "trainLoss": tr[0], "trainAcc": tr[1], "testLoss": te[0], "testAcc": te[1]})
    last = history[-1] if history and status == "ok" else None
    return {
        "id": job["id"],
        "status": status,
        "steps": total,
        "finalTrainLoss": last and last["trainLoss"],
        "finalTestAcc": last and last["testAcc"],
        "initGradNorms": init_grads,
        "history": history,
        "ms": (time.perf_counter() - t0) * 1000,
    }


def cost(job):
    m, t = job["model"], job["train"]
    return t["steps"] * (m["width"] * 794 + m["depth"] * m["width"] ** 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--jobs", default="", help="comma-separated job indices (default: all)")
    ap.add_argument("--foreach", action="store_true", help="Adam(foreach=True): batched optimizer kernels")
    a = ap.parse_args()
    jobs = json.load(open(os.path.join(a.workdir, "jobs.json")))
    if a.jobs:
        jobs = [jobs[int(i)] for i in a.jobs.split(",")]
    jobs.sort(key=cost, reverse=True)
    t0 = time.perf_counter()
    results = []
    if a.procs == 1:
        init_worker(a.workdir)
        results = [run_job(j, a.foreach) for j in jobs]
    else:
        import multiprocessing as mp
        from functools import partial

        with mp.get_context("fork").Pool(a.procs, initializer=init_worker, initargs=(a.workdir,)) as pool:
            results = list(pool.imap_unordered(partial(run_job, foreach=a.foreach), jobs, chunksize=1))
    wall = (time.perf_counter() - t0) * 1000
    ru_self = resource.getrusage(resource.RUSAGE_SELF)
    ru_kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime) * 1000
    json.dump(
        {"impl": "pytorch", "torch": torch.__version__, "procs": a.procs, "wallMs": wall, "cpuMs": cpu, "runs": results},
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
