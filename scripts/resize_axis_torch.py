#!/usr/bin/python3
"""Writes tests/golden/resize_axis_torch.txt: PyTorch's per-axis bilinear resize weights, the
cross-check of nn::resize_axis (src/nn/ops/resize.h) in tests/test_backend_ops.cpp (ResizeAxis.*).

Run with Debian's Python and python3-torch (PyTorch 1.13), from the repository root:

    /usr/bin/python3 scripts/resize_axis_torch.py

torch.nn.functional.interpolate(mode="bilinear", align_corners=False) is TensorFlow 2's
tf.image.resize(method="bilinear") (antialias=False: half-pixel ResizeBilinear; antialias=True:
ScaleAndTranslate with the triangle kernel) to rounding. The weights of one axis come from
resizing one-hot rows: sample j of a batch of `in` images 1 x in is one-hot at column j, so its
output column i is the weight of source j in output i. Each axis twice: in float64 (the weights
to about 1e-16) and in float32 (PyTorch's float path: the scale rounded to float, the positions
then in double). resize_axis computes the positions in float as TensorFlow does, so both differ
from it by the float rounding of positions below `in`: about ulp(in), e.g. 3.5e-6 for 53 -> 26.

File format (text): a header line "axis <in> <out> <antialias 0|1> <bits 32|64> <entries>", then
one line "<output i> <source j> <weight>" per nonzero weight; '#' starts a comment line.
"""
import os
import sys

import torch
import torch.nn.functional as F

PAIRS = [(120, 60), (37, 18), (53, 26), (18, 37), (64, 64), (1, 3), (5, 1)]


def axis_weights(n_in, n_out, antialias, dtype):
    eye = torch.eye(n_in, dtype=dtype).reshape(n_in, 1, 1, n_in)
    out = F.interpolate(eye, size=(1, n_out), mode="bilinear", align_corners=False, antialias=antialias)
    return out.reshape(n_in, n_out)  # [source j, output i]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "golden", "resize_axis_torch.txt")
    lines = [f"# written by scripts/resize_axis_torch.py with torch {torch.__version__}"]
    for n_in, n_out in PAIRS:
        for antialias in (False, True):
            for bits, dtype in ((64, torch.float64), (32, torch.float32)):
                w = axis_weights(n_in, n_out, antialias, dtype)
                entries = [(i, j, w[j, i].item()) for i in range(n_out) for j in range(n_in) if w[j, i].item() != 0.0]
                lines.append(f"axis {n_in} {n_out} {int(antialias)} {bits} {len(entries)}")
                lines += [f"{i} {j} {v:.17g}" if bits == 64 else f"{i} {j} {v:.9g}" for i, j, v in entries]
                sums = w.double().sum(dim=0)
                print(f"{n_in:4d} -> {n_out:3d} antialias={int(antialias)} float{bits}: {len(entries):4d} weights, "
                      f"max |sum - 1| {float((sums - 1).abs().max()):.2e}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path, os.path.getsize(path), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
