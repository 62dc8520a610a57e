"""The environment the PyTorch side of a benchmark runs in, set before torch is imported.

PyTorch's OpenBLAS pool ignores torch.set_num_threads and otherwise spins on every core, so the
thread counts go in OPENBLAS_NUM_THREADS and OMP_NUM_THREADS; GLIBC_TUNABLES keeps malloc from
returning memory between steps (as strata's own benchmarks run). These act only at start-up,
so a script that needs them re-executes itself once with them set.
"""
import os
import sys

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"


def threads_arg(default="1"):
    """The script's --threads N (or --threads=N), read before argparse runs."""
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return default


def run_under_torch_env(threads):
    """Re-executes the script unless the environment is already set; returns the variables (which a
    script removes again from the environment of the strata programs it starts)."""
    env = {"GLIBC_TUNABLES": TUNABLES, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    if any(os.environ.get(k) != v for k, v in env.items()):
        os.environ.update(env)
        os.execv(sys.executable, [sys.executable] + sys.argv)
    return env
