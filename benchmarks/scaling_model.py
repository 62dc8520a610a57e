#!/usr/bin/python3
"""Predicted data-parallel efficiency of strata train at N ranks (docs/training.md, "Scaling").

    T_step(N) = T_compute(B) + T_allreduce(N)
    T_allreduce(N) = alpha * 2 (N - 1) + beta * 2 (N - 1) / N * bytes      (ring)
    efficiency(N) = T_compute / T_step(N)                                  (per-rank batch B fixed)

Measured on the development machine: the gradient bytes of both models (`strata train` logs
the parameter count; 4 bytes each), the CPU compute time per step (benchmarks/bench_train.sh)
and alpha/beta of MPI over shared memory (benchmarks/bench_allreduce). The GPU compute times
and the NVLink / InfiniBand alpha and beta are ASSUMPTIONS (typical published figures), marked
so in the output. Edit the tables below and rerun: /usr/bin/python3 benchmarks/scaling_model.py

The ring's latency term grows with N; the last column gives a tree's efficiency for comparison.
"""
import math

# Gradient bytes: trainable parameters x 4 (sample-fcn 23,401, unet-small 470,313 parameters).
BYTES = {"sample-fcn": 23_401 * 4, "unet-small": 470_313 * 4}

# Train FLOPs per pixel (forward MACs x 2 x 3 for forward + backward): sample-fcn 23,344 MACs,
# unet-small 100,288 MACs per pixel (src/nn/models/*.cpp).
FLOP_PER_PX = {"sample-fcn": 23_344 * 6, "unet-small": 100_288 * 6}

GPU_COMPUTE = {m: 16 * 128 * 128 * FLOP_PER_PX[m] / 17e12 for m in BYTES}

# (name, per-rank compute seconds per step by model, alpha s, beta s/byte, ranks to predict)
SCENARIOS = [
    # MEASURED here: 1 CPU thread per rank, batch 8 of 64x64 (bench_train.sh, 1 rank: 83-108 ms and
    # 332-373 ms), and MPI over shared memory between 2 ranks (bench_allreduce: alpha 0.15-0.3 us,
    # beta 0.18-0.36 ns/B under load). Only N = 2 exists on this machine.
    ("CPU ranks, MPI over shared memory (MEASURED, N = 2)", {"sample-fcn": 0.090, "unet-small": 0.350}, 0.3e-6, 0.2e-9,
     [2]),
    # The same CPU ranks on many nodes, InfiniBand HDR: MPI ~2 us, ~20 GB/s (ASSUMED link).
    ("CPU ranks, MPI over InfiniBand HDR (ASSUMED link)", {"sample-fcn": 0.090, "unet-small": 0.350}, 2e-6, 1 / 20e9,
     [8, 64, 512]),
    # H100 GPUs at ~17 TFLOP/s achieved fp32 (25 % of peak) on batch 16 of 128x128 (ASSUMED: the
    # CUDA kernels are not measured yet); 8 GPUs of one node on NVLink, NCCL ~5 us a hop and
    # ~350 GB/s bus bandwidth (ASSUMED) ...
    ("GPU ranks, NCCL on NVLink, one node (ASSUMED GPU and link)", GPU_COMPUTE, 5e-6, 1 / 350e9, [8]),
    # ... and from 2 nodes up, InfiniBand NDR, one 400 Gb/s port per GPU: ~5 us, ~45 GB/s (ASSUMED).
    ("GPU ranks, NCCL on InfiniBand NDR (ASSUMED GPU and link)", GPU_COMPUTE, 5e-6, 1 / 45e9, [64, 512]),
]


def ring(n, alpha, beta, nbytes):
    return alpha * 2 * (n - 1) + beta * 2 * (n - 1) / n * nbytes


def tree(n, alpha, beta, nbytes):
    """A (double binary) tree, what NCCL switches to at scale: latency 2 log2 N alpha."""
    return alpha * 2 * math.log2(n) + beta * 2 * nbytes


def main():
    for name, compute, alpha, beta, ranks in SCENARIOS:
        print(f"{name}: alpha {alpha * 1e6:.2f} us, beta {beta * 1e9:.4f} ns/B ({1 / beta / 1e9:.1f} GB/s)")
        print(f"  {'model':<11} {'bytes':>9} {'T_compute':>10}"
              + "".join(f" {'N=' + str(n) + ': ring T_ar, eff (tree eff)':>33}" for n in ranks))
        for model, nbytes in BYTES.items():
            cells = []
            for n in ranks:
                t_ar, t_tree = ring(n, alpha, beta, nbytes), tree(n, alpha, beta, nbytes)
                eff = lambda t: 100 * compute[model] / (compute[model] + t)
                cells.append(f"{t_ar * 1e3:8.3f} ms {eff(t_ar):5.1f}% ({eff(t_tree):5.1f}%)")
            print(f"  {model:<11} {nbytes:>9} {compute[model] * 1e3:>7.2f} ms" + "".join(f" {c:>33}" for c in cells))
        print()


if __name__ == "__main__":
    main()
