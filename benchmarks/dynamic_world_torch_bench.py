#!/usr/bin/python3
"""Times the PyTorch reference of Dynamic World's forward model (scripts/dynamic_world_torch.py).

    /usr/bin/python3 benchmarks/dynamic_world_torch_bench.py [--threads 1] [--seconds 3]
        [--model ../shared/models/dynamicworld/forward] [--batches 1,8] [--size 256]

Float32, eval semantics (batch norm on the moving statistics), torch.no_grad(); one timed step
is the forward pass and a softmax over the classes on a random [batch, 9, size, size] input in
(0, 1) (the range of the normalised bands). One JSON line per batch size:
{"batch", "size", "threads", "mpx_per_s", "ms_per_batch", "peak_MiB"}.

As benchmarks/side_by_side.py: OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are set to --threads
(and GLIBC_TUNABLES as there) before torch is imported, by re-executing, plus
torch.set_num_threads; each batch size runs in a fresh process, and peak_MiB is the peak resident
set above the one before the model and data exist (VmHWM, reset through /proc/self/clear_refs).
"""
import argparse
import json
import os
import subprocess
import sys
import time

from torch_env import run_under_torch_env, threads_arg  # noqa: E402  (benchmarks/torch_env.py)

run_under_torch_env(threads_arg())

import torch  # noqa: E402  (after the re-exec)
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import dynamic_world_torch as dw  # noqa: E402


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def one_case(model_dir, batch, size, threads, seconds):
    base = status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    model = dw.load(model_dir, torch.float32)
    x = torch.rand(batch, 9, size, size, generator=torch.Generator().manual_seed(1))

    def step():
        with torch.no_grad():
            F.softmax(model(x), dim=1)

    step()  # warm-up
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        step()
        n += 1
    elapsed = time.perf_counter() - start
    return {"batch": batch, "size": size, "threads": threads,
            "mpx_per_s": round(batch * size * size * n / 1e6 / elapsed, 4),
            "ms_per_batch": round(1e3 * elapsed / n, 2),
            "peak_MiB": round((status_kib("VmHWM") - base) / 1024, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum timed seconds per case")
    ap.add_argument("--model", default=os.path.join(HERE, "..", "..", "shared", "models", "dynamicworld", "forward"))
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child's single batch size
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.one is not None:
        print(json.dumps(one_case(args.model, args.one, args.size, args.threads, args.seconds)))
        return
    for b in (int(v) for v in args.batches.split(",")):
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--threads", str(args.threads),
                              "--seconds", str(args.seconds), "--model", args.model, "--size", str(args.size),
                              "--one", str(b)], check=True, capture_output=True, text=True)
        print(out.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
