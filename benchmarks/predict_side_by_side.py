#!/usr/bin/python3
"""strata predict's throughput beside PyTorch running the same model on the same tiles.

    /usr/bin/python3 benchmarks/predict_side_by_side.py --model RUN/best.h5 --scene S2_D.tif
        [--tile 1024] [--ranks 1,2] [--strata build/bin/strata]

strata: `strata predict --force` on the scene at each rank count (mpirun for more than one),
which reports pixels per second end to end (read, mask, normalise, network, encode, COG write)
and per rank inside the network. PyTorch (Debian's python3-torch, one thread, malloc tuned as in
benchmarks/side_by_side.py): the checkpoint's weights in the same architecture
(scripts/make_golden.py), the same tiles, halos and padding (src/pipeline/predict_tiles.h),
timed for the network (forward + softmax) and for read + normalise + network + argmax (no
writing). Both count output pixels. The runs alternate in one process run, so they see the
same machine load.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

# One thread for PyTorch really (benchmarks/torch_env.py).
from torch_env import run_under_torch_env  # noqa: E402

PYTORCH_ENV = run_under_torch_env(1)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from osgeo import gdal  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_golden import SampleFcn, UNetSmall  # noqa: E402


def load_model(path):
    with h5py.File(path, "r") as f:
        md = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f["metadata"].attrs.items()}
        tensors = {k: np.array(f["tensors"][k]) for k in f["tensors"].keys()}
    widths = [int(w) for w in md["widths"].split(",")]
    bands, classes = int(md["in_bands"]), int(md["classes"])
    if md["arch"] == "sample-fcn":
        model, radius, multiple = SampleFcn(bands, classes, widths), 4, 1
    else:
        model = UNetSmall(bands, classes, widths)
        d = len(widths)
        radius = sum(2 << i for i in range(d)) + sum(4 << j for j in range(d - 1))
        multiple = 1 << (d - 1)
    state = {k: torch.from_numpy(v) for k, v in tensors.items() if not k.startswith(("adam.", "normalization."))}
    model.load_state_dict(state, strict=False)
    model.eval()
    norm = (md["normalization.mode"], tensors["normalization.a"], tensors["normalization.b"])
    return model, md["band_names"].split(","), norm, radius, multiple


def read_scene(path, names):
    ds = gdal.Open(path)
    by_name = {ds.GetRasterBand(i + 1).GetDescription(): i + 1 for i in range(ds.RasterCount)}
    return np.stack([ds.GetRasterBand(by_name[n]).ReadAsArray() for n in names])


def normalise(dn, norm):
    mode, a, b = norm
    x = dn.astype(np.float32)
    if mode == "standard":
        return (x - a[:, None, None]) / b[:, None, None]
    z = (np.log(x * 0.005 + 1) - a[:, None, None]) / b[:, None, None]
    return 1 / (1 + np.exp(-(5 * z - 1)))


def torch_predict(model, scene, names, norm, tile, halo, multiple):
    t0 = time.perf_counter()
    dn = read_scene(scene, names)
    x_all = normalise(dn, norm)
    net = 0.0
    _, h, w = x_all.shape
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            y0, x0 = max(0, y - halo), max(0, x - halo)
            y1, x1 = min(h, y + tile + halo), min(w, x + tile + halo)
            ph, pw = -(-(y1 - y0) // multiple) * multiple, -(-(x1 - x0) // multiple) * multiple
            inp = np.pad(x_all[:, y0:y1, x0:x1], ((0, 0), (0, ph - (y1 - y0)), (0, pw - (x1 - x0))), mode="edge")
            t = time.perf_counter()
            with torch.no_grad():
                p = F.softmax(model(torch.from_numpy(np.ascontiguousarray(inp))[None]), dim=1)
            net += time.perf_counter() - t
            p[0, :, y - y0:y - y0 + min(tile, h - y), x - x0:x - x0 + min(tile, w - x)].argmax(0)
    return h * w / (time.perf_counter() - t0) / 1e6, h * w / net / 1e6


def strata_predict(binary, ranks, model, scene, tile, out):
    cmd = [binary, "predict", "--model", model, "--scenes", scene, "--out", out, "--tile", str(tile), "--force"]
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks)] + cmd
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    for k in PYTORCH_ENV:
        env.pop(k, None)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("strata predict failed:\n" + r.stdout + r.stderr)
    m = re.search(r"([0-9.e+-]+) Mpx/s end to end, ([0-9.e+-]+) Mpx/s per rank in the network", r.stderr + r.stdout)
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--scene", required=True)
    ap.add_argument("--tile", type=int, default=1024)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--strata", default=os.path.join("build", "bin", "strata"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, names, norm, radius, multiple = load_model(a.model)
    halo = -(-radius // multiple) * multiple
    print(f"{os.path.basename(a.model)}: tile {a.tile}, halo {halo}; Mpx/s of output pixels")
    print(f"{'':24}{'end to end':>12}{'network/rank':>14}")
    with tempfile.TemporaryDirectory() as out:
        for ranks in [int(r) for r in a.ranks.split(",")]:
            e2e, net = strata_predict(a.strata, ranks, a.model, a.scene, a.tile, out)
            print(f"{'strata, ' + str(ranks) + ' rank(s)':24}{e2e:12.3f}{net:14.3f}")
            if ranks == 1:
                t_e2e, t_net = torch_predict(model, a.scene, names, norm, a.tile, halo, multiple)
                print(f"{'PyTorch, 1 thread':24}{t_e2e:12.3f}{t_net:14.3f}   (strata/PyTorch network: {net / t_net:.2f}x)")


if __name__ == "__main__":
    main()
