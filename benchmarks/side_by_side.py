#!/usr/bin/python3
"""Runs each model in PyTorch and in strata in the same run and prints both throughputs.

    /usr/bin/python3 benchmarks/side_by_side.py [--threads 1] [--bench build/benchmarks/bench_nn]

For every (model, inference|training) it times PyTorch 1.13 (Debian's python3-torch) and
then strata's bench_nn on the same setting: batch 16, 128 x 128, 13 bands, 9 classes; the
two alternate so both see the same machine load. Training is forward, cross-entropy with
ignore 255, backward and an Adam step; inference is an eval-mode forward and softmax.
Each figure and ratio is given twice: per wall-clock second (what the issue's targets are
about) and per CPU second of the process (steadier on a shared machine). PyTorch runs under GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=...
(set here by re-executing), as in the issue's reference figures, and with OPENBLAS_NUM_THREADS
and OMP_NUM_THREADS at --threads: Debian's PyTorch calls OpenBLAS, whose own pool ignores
torch.set_num_threads and otherwise runs (and spins) on every core, so "1 thread" used 1.5 CPUs.
Each case also reports its peak memory: the peak resident set above the resident set before
the model and data exist (Linux's VmHWM, reset through /proc/self/clear_refs at that point),
PyTorch's measured in a fresh process per case.
"""
import argparse
import json
import os
import subprocess
import sys
import time

from torch_env import run_under_torch_env, threads_arg  # noqa: E402  (benchmarks/torch_env.py)

PYTORCH_ENV = run_under_torch_env(threads_arg())

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


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def torch_case(arch, mode, seconds):
    """One case in this process: (Mpx/s wall, Mpx/s CPU, peak KiB above the baseline)."""
    base = status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS, so the peak below is this case's
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
    n, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while n == 0 or time.perf_counter() - start < seconds:
        step()
        n += 1
    mpx = BATCH * SIZE * SIZE * n / 1e6
    return mpx / (time.perf_counter() - start), mpx / (time.process_time() - cpu_start), status_kib("VmHWM") - base


def torch_mpx_per_s(arch, mode, threads, seconds):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--threads", str(threads), "--seconds",
                          str(seconds), "--one", arch, mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def strata_mpx_per_s(bench, name, threads, seconds):
    env = dict(os.environ, STRATA_THREADS=str(threads))
    for k in PYTORCH_ENV:
        env.pop(k, None)
    out = subprocess.run([bench, f"--benchmark_filter=^{name}(/.*)?$", "--benchmark_format=json",
                          f"--benchmark_min_time={seconds}"], env=env, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)["benchmarks"][0]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[result["time_unit"]]
    mpx = BATCH * SIZE * SIZE / 1e6
    return mpx / (result["real_time"] * scale), mpx / (result["cpu_time"] * scale), result["peak_MiB"] * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum timed seconds per measurement")
    ap.add_argument("--bench", default=os.path.join("build", "benchmarks", "bench_nn"))
    ap.add_argument("--one", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)  # a child's single case
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(torch_case(args.one[0], args.one[1], args.seconds)))
        return
    print(f"# torch {torch.__version__}, {args.threads} thread(s), batch {BATCH}, {SIZE}x{SIZE}, {BANDS} bands; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'model':<12} {'mode':<10} {'PyTorch Mpx/s':>22} {'strata Mpx/s':>22} {'strata/PyTorch':>15} "
          f"{'peak MiB':>24}")
    print(f"{'':<12} {'':<10} {'wall':>10} {'cpu':>11} {'wall':>10} {'cpu':>11} {'wall':>7} {'cpu':>7} "
          f"{'PyTorch':>11} {'strata':>12}")
    for arch, mode, bench_name in CASES:
        t_wall, t_cpu, t_peak = torch_mpx_per_s(arch, mode, args.threads, args.seconds)
        s_wall, s_cpu, s_peak = strata_mpx_per_s(args.bench, bench_name, args.threads, args.seconds)
        # bench_nn's CPU time is its main thread's: a per-CPU-second figure only with one thread.
        s_cpu_text = f"{s_cpu:>11.3f}" if args.threads == 1 else f"{'-':>11}"
        ratio_cpu_text = f"{s_cpu / t_cpu:>7.2f}" if args.threads == 1 else f"{'-':>7}"
        print(f"{arch:<12} {mode:<10} {t_wall:>10.3f} {t_cpu:>11.3f} {s_wall:>10.3f} {s_cpu_text} "
              f"{s_wall / t_wall:>7.2f} {ratio_cpu_text} {t_peak / 1024:>11.0f} {s_peak / 1024:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
