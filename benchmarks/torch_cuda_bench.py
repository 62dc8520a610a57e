#!/usr/bin/env python3
"""PyTorch on the GPU, the anchor for bench_cuda_conv's end-to-end figures.

    python3 benchmarks/torch_cuda_bench.py [--batch 16] [--size 128] [--seconds 2] [--precision all]

unet-small and sample-fcn (scripts/make_golden.py's modules: the architectures of strata's
built-in models) at batch 16, 128 x 128, 13 bands, 9 classes, as bench_cuda_conv runs them:
inference (eval, no_grad, forward + softmax) and training (forward, cross-entropy with ignore 255,
backward, Adam). Precisions as strata's: fp32 (TF32 off), tf32 (TF32 matmul and cuDNN
convolutions), bf16 (autocast to bfloat16). cudnn.benchmark on, two untimed warm-up steps,
synchronised before and after the timed steps. One JSON line per case:
{"model", "precision", "mode", "px_per_s", "ms_per_batch", "device"}.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_golden import SampleFcn, UNetSmall  # noqa: E402

BANDS, CLASSES = 13, 9


def case(arch, precision, mode, batch, size, seconds):
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    dev = torch.device("cuda")
    model = (UNetSmall(BANDS, CLASSES, [32, 64, 128]) if arch == "unet-small" else SampleFcn(BANDS, CLASSES, [32, 16])).to(dev)
    x = torch.randn(batch, BANDS, size, size, device=dev)
    y = torch.randint(0, CLASSES, (batch, size, size), device=dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16")

    def step():
        if mode == "inference":
            model.eval()
            with torch.no_grad(), autocast:
                F.softmax(model(x), dim=1)
        else:
            model.train()
            opt.zero_grad()
            with autocast:
                loss = F.cross_entropy(model(x), y, ignore_index=255)
            loss.backward()
            opt.step()

    step()
    step()
    torch.cuda.synchronize()
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        step()
        n += 1
        if n % 4 == 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    return {"model": arch, "precision": precision, "mode": mode, "px_per_s": batch * size * size * n / elapsed,
            "ms_per_batch": 1e3 * elapsed / n, "device": torch.cuda.get_device_name(0)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--precision", default="all", choices=["fp32", "tf32", "bf16", "all"])
    a = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("torch_cuda_bench: error: PyTorch sees no CUDA device")
    torch.backends.cudnn.benchmark = True
    precisions = ["fp32", "tf32", "bf16"] if a.precision == "all" else [a.precision]
    for p in precisions:
        for arch in ("unet-small", "sample-fcn"):
            for mode in ("inference", "training"):
                print(json.dumps(case(arch, p, mode, a.batch, a.size, a.seconds)), flush=True)


if __name__ == "__main__":
    main()
