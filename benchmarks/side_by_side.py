#!/usr/bin/python3
"""Runs each model in PyTorch and in strata in the same run and prints both throughputs.

    /usr/bin/python3 benchmarks/side_by_side.py [--threads 1] [--bench build/benchmarks/bench_nn]

For every (model, inference|training) it times PyTorch 1.13 (Debian's python3-torch) and
then strata's bench_nn on the same setting: batch 16, 128 x 128, 13 bands, 9 classes; the
two alternate so both see the same machine load. Training is forward, cross-entropy with
ignore 255, backward and an Adam step; inference is an eval-mode forward and softmax.
PyTorch runs under GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=...
(set here by re-executing), as in the issue's reference figures.
"""
import argparse
import json
import os
import subprocess
import sys
import time

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"

if os.environ.get("GLIBC_TUNABLES") != TUNABLES:
    os.environ["GLIBC_TUNABLES"] = TUNABLES
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch  # noqa: E402  (after the re-exec, so malloc is tuned for it)
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_golden import SampleFcn, UNetSmall  # noqa: E402  (the same architectures as the golden tests)

BATCH, SIZE, BANDS, CLASSES = 16, 128, 13, 9
CASES = [
    ("unet-small", "inference", "BM_UNetSmallInference"),
    ("unet-small", "training", "BM_UNetSmallTraining"),
    ("sample-fcn", "inference", "BM_SampleFcnInference"),
    ("sample-fcn", "training", "BM_SampleFcnTraining"),
]


def torch_mpx_per_s(arch, mode, seconds):
    model = UNetSmall(BANDS, CLASSES, [32, 64, 128]) if arch == "unet-small" else SampleFcn(BANDS, CLASSES, [32, 16])
    x = torch.randn(BATCH, BANDS, SIZE, SIZE)
    y = torch.randint(0, CLASSES, (BATCH, SIZE, SIZE))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        if mode == "inference":
            model.eval()
            with torch.no_grad():
                F.softmax(model(x), dim=1)
        else:
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(x), y, ignore_index=255).backward()
            opt.step()

    step()  # warm-up, as strata's untimed first step
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        step()
        n += 1
    return BATCH * SIZE * SIZE * n / (time.perf_counter() - start) / 1e6


def strata_mpx_per_s(bench, name, threads, seconds):
    env = dict(os.environ, STRATA_THREADS=str(threads))
    env.pop("GLIBC_TUNABLES", None)
    out = subprocess.run([bench, f"--benchmark_filter=^{name}(/.*)?$", "--benchmark_format=json",
                          f"--benchmark_min_time={seconds}"], env=env, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)["benchmarks"][0]
    return result["Mpx/s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum timed seconds per measurement")
    ap.add_argument("--bench", default=os.path.join("build", "benchmarks", "bench_nn"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {args.threads} thread(s), batch {BATCH}, {SIZE}x{SIZE}, {BANDS} bands; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'model':<12} {'mode':<10} {'PyTorch Mpx/s':>14} {'strata Mpx/s':>13} {'strata/PyTorch':>15}")
    for arch, mode, bench_name in CASES:
        t = torch_mpx_per_s(arch, mode, args.seconds)
        s = strata_mpx_per_s(args.bench, bench_name, args.threads, args.seconds)
        print(f"{arch:<12} {mode:<10} {t:>14.3f} {s:>13.3f} {s / t:>15.2f}", flush=True)


if __name__ == "__main__":
    main()
