#!/usr/bin/python3
"""Writes tests/golden/dynamic_world.tensors: PyTorch reference outputs of Dynamic World.

Run from the repository root with Debian's Python (python3-torch, python3-snappy, python3-gdal):

    /usr/bin/python3 scripts/make_golden_dynamic_world.py [--models ../shared/models/dynamicworld]
        [--data ../shared/data/real] [--out tests/golden/dynamic_world.tensors]

The networks are Google's published SavedModels, read and run without TensorFlow by
scripts/dynamic_world_torch.py (an importer independent of strata's C++ one). Every case is
computed in float64 (weights, normalisation and network) and stored as float32; the script
also runs the float32 pipeline and fails if its probabilities differ from the float64 ones by
1e-5 or more anywhere (it prints the largest difference).

File format: STRTNSR1, as documented in scripts/make_golden.py (read by tests/golden_reader.h):
b"STRTNSR1", uint32 count, then per tensor: uint32 name length, name (UTF-8), uint8 dtype
(0 float32, 1 uint8), uint32 rank, int64 dims[rank], raw little-endian data. All tensors here
are float32 and NCHW.

Forward-model cases; for each <case>:
    <case>.dn      [N, 9, H, W]  DN of B2 B3 B4 B5 B6 B7 B8 B11 B12 (integers as float32)
    <case>.input   [N, 9, H, W]  normalised: sigmoid(5 (ln(DN*0.005+1) - P0) / P1 - 1),
                                 exactly 0.0 where that band's DN is 0 (strata's no-data input)
    <case>.probs   [N, 9, H, W]  softmax of the forward model's logits over channels
    flood48.logits [1, 9, 48, 48] the forward model's output (Dynamic World class order), this case only
  flood48      [1, 9, 48, 48]    sen1floods11-spain/S2_L1C_20190918.tif (L1C), window x 96..143,
                                 y 384..431 (water, crops, built, bare, ...); bands 2,3,4,5,6,7,8,12,13
  bigearthnet  [1, 9, 64, 64]    bigearthnet-s2-patches/stacked/S2B_MSIL2A_20170924T93020_69_24.tif
                                 (L2A; forest, peat bog, water), window x 28..91, y 28..91; bands
                                 2,3,4,5,6,7,8,11,12 of its 12 (B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B11 B12)
  worldcereal  [1, 9, 37, 53]    worldcereal-belgium-monthly/S2_L2A_monthly_2021-06.tif (L2A, bands
                                 already in DW order, no 65535 no-data in the window), x 20..72,
                                 y 30..66: odd H and W, so the half-size branch is 18 x 26
  flood_batch  [2, 9, 32, 48]    two flood-chip windows, x 32..79 y 304..335 and x 448..495 y 464..495
  nodata       [1, 9, 24, 24]    flood-chip window x 200..223 y 200..223 with DN set to 0 in all
                                 bands of rows 4..9 x columns 4..9 and in band B11 (index 7) of
                                 column 17: checks the DN 0 -> 0.0 convention
Backward-model case:
    backward.probs_in [1, 9, 24, 40]  softmax over channels of float64 N(0, 2^2) logits drawn by
                                      torch.Generator seeded 20240607, rounded to float32
    backward.output   [1, 9, 24, 40]  the backward model on probs_in (as stored, in float64)

Size: 3.54 MB (885 k float32 values). The BigEarthNet patch's four tensors alone are 2.07 MB;
the other cases together are 1.47 MB.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dynamic_world_torch as dw  # noqa: E402
from make_golden import write_tensors  # noqa: E402

FLOOD = "sen1floods11-spain/S2_L1C_20190918.tif"
FLOOD_BANDS = [2, 3, 4, 5, 6, 7, 8, 12, 13]
BEN = "bigearthnet-s2-patches/stacked/S2B_MSIL2A_20170924T93020_69_24.tif"
BEN_BANDS = [2, 3, 4, 5, 6, 7, 8, 11, 12]
WORLDCEREAL = "worldcereal-belgium-monthly/S2_L2A_monthly_2021-06.tif"
WC_BANDS = list(range(1, 10))
SEED = 20240607
TOLERANCE = 1e-5


def forward_cases(data):
    """{case: [N, 9, H, W] float64 DN}."""
    flood = os.path.join(data, FLOOD)
    cases = {}
    cases["flood48"] = dw.read_bands(flood, FLOOD_BANDS, (96, 384, 48, 48))[None]
    ben = dw.read_bands(os.path.join(data, BEN), BEN_BANDS, (28, 28, 64, 64))
    cases["bigearthnet"] = ben[None]
    wc = dw.read_bands(os.path.join(data, WORLDCEREAL), WC_BANDS, (20, 30, 53, 37))
    if (wc == 65535).any() or (wc == 0).any():
        raise ValueError(f"{WORLDCEREAL}: no-data in the window")
    cases["worldcereal"] = wc[None]
    cases["flood_batch"] = np.stack([dw.read_bands(flood, FLOOD_BANDS, (32, 304, 48, 32)),
                                     dw.read_bands(flood, FLOOD_BANDS, (448, 464, 48, 32))])
    nodata = dw.read_bands(flood, FLOOD_BANDS, (200, 200, 24, 24))
    nodata[:, 4:10, 4:10] = 0
    nodata[7, :, 17] = 0
    cases["nodata"] = nodata[None]
    return {k: torch.from_numpy(v.astype(np.float64)) for k, v in cases.items()}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=os.path.join(root, "..", "shared", "models", "dynamicworld"))
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "real"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "golden", "dynamic_world.tensors"))
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    fwd64 = dw.load(os.path.join(args.models, "forward"), torch.float64)
    fwd32 = dw.load(os.path.join(args.models, "forward"), torch.float32)
    out = {}
    worst = 0.0
    with torch.no_grad():
        for case, dn in forward_cases(args.data).items():
            x64 = dw.normalise(dn)
            logits64 = fwd64(x64)
            probs64 = F.softmax(logits64, dim=1)
            probs32 = F.softmax(fwd32(dw.normalise(dn.to(torch.float32))), dim=1)
            diff = (probs32.double() - probs64).abs().max().item()
            worst = max(worst, diff)
            hist = torch.bincount(probs64.argmax(1).flatten(), minlength=9).tolist()
            print(f"{case:<12} {list(dn.shape)}  float32 vs float64 probs max |diff| {diff:.2e}  argmax {hist}")
            # Logits for one case only: the probabilities are what is compared, and the file stays small.
            kept = (("dn", dn), ("input", x64), ("probs", probs64)) + ((("logits", logits64),) if case == "flood48" else ())
            for name, t in kept:
                out[f"{case}.{name}"] = t.to(torch.float32).numpy()
        bwd64 = dw.load(os.path.join(args.models, "backward"), torch.float64)
        bwd32 = dw.load(os.path.join(args.models, "backward"), torch.float32)
        g = torch.Generator().manual_seed(SEED)
        probs_in = F.softmax(2.0 * torch.randn(1, 9, 24, 40, generator=g, dtype=torch.float64), dim=1)
        probs_in = probs_in.to(torch.float32)
        y64 = bwd64(probs_in.double())
        y32 = bwd32(probs_in)
        diff = (y32.double() - y64).abs().max().item()
        worst = max(worst, diff)
        print(f"{'backward':<12} {list(probs_in.shape)}  float32 vs float64 output max |diff| {diff:.2e}  "
              f"range {y64.min().item():.4f}..{y64.max().item():.4f}")
        out["backward.probs_in"] = probs_in.numpy()
        out["backward.output"] = y64.to(torch.float32).numpy()
    if worst >= TOLERANCE:
        raise SystemExit(f"float32 and float64 differ by {worst:.2e} >= {TOLERANCE}")
    write_tensors(args.out, out)
    print(f"wrote {args.out}: {len(out)} tensors, {os.path.getsize(args.out)} bytes; "
          f"largest float32/float64 difference {worst:.2e}")


if __name__ == "__main__":
    main()
