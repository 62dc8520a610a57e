#!/usr/bin/python3
"""Dynamic World's network on the CPU: strata beside PyTorch 1.13, same graph, same run.

    /usr/bin/python3 benchmarks/dynamic_world_side_by_side.py [--threads 1] [--seconds 3]
        [--bench build/benchmarks/bench_nn] [--model ../shared/models/dynamicworld/forward]

For batch 1 and 8 of 256 x 256 it times PyTorch running Google's published weights through
scripts/dynamic_world_torch.py (benchmarks/dynamic_world_torch_bench.py: eval-mode forward and
softmax, torch.no_grad) and then strata's bench_nn BM_DynamicWorldInference (the same graph, batch
norms folded, Mish in place; random weights, which time the same), alternating so both see the
same load. Both run at --threads (PyTorch with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS too, see
side_by_side.py). Printed: Mpx/s (wall clock), strata / PyTorch, and each side's peak memory above
its resident set before the model (VmHWM after /proc/self/clear_refs), and how far strata is from
the fp32 peak bound (0.118 MFLOP a pixel against build/benchmarks/fma_peak's GFLOP/s per core).
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FLOP_PER_PIXEL = 2 * 59100  # multiply-adds of the graph's convolutions, per input pixel


def pytorch(batch, size, threads, seconds, model):
    out = subprocess.run([sys.executable, os.path.join(HERE, "dynamic_world_torch_bench.py"), "--threads", str(threads),
                          "--seconds", str(seconds), "--batches", str(batch), "--size", str(size), "--model", model],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def strata(bench, batch, size, threads, seconds):
    env = dict(os.environ, STRATA_THREADS=str(threads))
    out = subprocess.run([bench, f"--benchmark_filter=^BM_DynamicWorldInference/{batch}/{size}(/.*)?$",
                          "--benchmark_format=json", f"--benchmark_min_time={seconds}"],
                         env=env, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)["benchmarks"][0]
    return {"mpx_per_s": r["Mpx/s"], "peak_MiB": r.get("peak_MiB", float("nan"))}


def fma_peak_gflops(bench):
    peak = os.path.join(os.path.dirname(bench), "fma_peak")
    if not os.path.exists(peak):
        return None
    out = subprocess.run([peak], check=True, capture_output=True, text=True).stdout
    rates = [float(v) for v in re.findall(r"([0-9.]+) GFLOP/s", out)]  # AVX2, and AVX-512 where present
    return max(rates) if rates else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--bench", default=os.path.join("build", "benchmarks", "bench_nn"))
    ap.add_argument("--model", default=os.path.join(HERE, "..", "..", "shared", "models", "dynamicworld", "forward"))
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    peak = fma_peak_gflops(args.bench)
    print(f"# Dynamic World forward, {args.size}x{args.size}, {args.threads} thread(s); load average "
          f"{os.getloadavg()[0]:.2f}; fp32 peak {peak if peak else '?'} GFLOP/s a core")
    print(f"{'batch':>5} {'PyTorch Mpx/s':>14} {'strata Mpx/s':>13} {'strata/PyTorch':>15} "
          f"{'% of peak':>10} {'PyTorch MiB':>12} {'strata MiB':>11}")
    for batch in (1, 8):
        t = pytorch(batch, args.size, args.threads, args.seconds, args.model)
        s = strata(args.bench, batch, args.size, args.threads, args.seconds)
        share = (f"{100 * s['mpx_per_s'] * 1e6 * FLOP_PER_PIXEL / (peak * 1e9 * args.threads):>9.0f}%"
                 if peak else f"{'?':>10}")
        print(f"{batch:>5} {t['mpx_per_s']:>14.3f} {s['mpx_per_s']:>13.3f} {s['mpx_per_s'] / t['mpx_per_s']:>15.1f} "
              f"{share} {t['peak_MiB']:>12.0f} {s['peak_MiB']:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
