#!/usr/bin/python3
"""Draws docs/synth_spectra.png: strata synth's class spectra beside the real Sentinel-2 samples.

Run:  /usr/bin/python3 scripts/plot_spectra.py BUILD/bin/strata [REAL_DIR] [OUT.png]
Needs numpy, GDAL's Python bindings and matplotlib (Debian: python3-matplotlib). It writes a
`strata synth --size 512 --dates 6 --seed 7` series at both levels into a temporary folder and
plots median DN per band over clear pixels (QA60 = 0) of every date: L1C against the real L1C
flood chip (Sen1Floods11, Spain, September), L2A against BigEarthNet and WorldCereal (L2A).
"""
import os
import subprocess
import sys
import tempfile

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from osgeo import gdal

STRATA = sys.argv[1]
REAL = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "real")
OUT = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "docs", "synth_spectra.png")
L1C = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
L2A = [b for b in L1C if b != "B10"]
NM = dict(zip(L1C, [443, 492, 560, 665, 704, 740, 783, 833, 865, 945, 1374, 1614, 2202]))
CLASSES = ["water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built", "bare", "snow_and_ice"]
COLOURS = ["#419bdf", "#397d49", "#88b053", "#7a87c6", "#e49635", "#dfc35a", "#c4281b", "#a59b8f", "#b39fe1"]


def read(path):
    return gdal.Open(path).ReadAsArray().astype(np.float64)


def synth_medians(folder):
    """{class: median DN per band} over clear pixels of every date."""
    pix = {c: [] for c in range(9)}
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("S2_") and name.endswith(".tif") and "_QA" not in name):
            continue
        date = name[3:13]
        a = read(os.path.join(folder, name))
        qa = read(os.path.join(folder, f"S2_{date}_QA.tif"))
        qa60 = qa if qa.ndim == 2 else qa[0]
        labels = read(os.path.join(folder, f"labels_{date}.tif"))
        for c in range(9):
            m = (labels == c) & (qa60 == 0) & (a[1] > 0)
            if m.sum():
                pix[c].append(a[:, m][:, :: max(1, m.sum() // 20000)])
    return {c: np.median(np.concatenate(v, axis=1), axis=1) for c, v in pix.items() if v and sum(x.shape[1] for x in v) > 500}


def ndvi(a, nir, red):
    return (a[nir] - a[red]) / (a[nir] + a[red] + 1e-9)


def main():
    tmp = tempfile.mkdtemp(prefix="strata-spectra-")
    synth = {}
    for level in ("L1C", "L2A"):
        out = os.path.join(tmp, level)
        subprocess.run([STRATA, "synth", "--out", out, "--size", "512", "--dates", "6", "--seed", "7", "--level", level,
                        "--quiet"], check=True, stdout=subprocess.DEVNULL)
        synth[level] = synth_medians(out)

    flood = read(os.path.join(REAL, "sen1floods11-spain", "S2_L1C_20190918.tif"))
    water = read(os.path.join(REAL, "sen1floods11-spain", "label_water.tif"))
    real_l1c = {"Sen1Floods11 flood water": np.median(flood[:, water == 1], axis=1),
                "Sen1Floods11 land": np.median(flood[:, water == 0], axis=1)}
    ben = lambda p: read(os.path.join(REAL, "bigearthnet-s2-patches", "stacked", p + ".tif"))  # B1..B12 without B10
    forest = ben("S2B_MSIL2A_20170924T93021_41_29")
    pasture = ben("S2A_MSIL2A_20170617T113321_4_55")
    cereal = read(os.path.join(REAL, "worldcereal-belgium-monthly", "S2_L2A_monthly_2021-06.tif"))  # B2..B8, B11, B12
    wc_bands = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12"]
    green = (ndvi(cereal, 6, 2) > 0.65) & (cereal[0] < 60000)
    real_l2a = {"BigEarthNet forest (Sept)": (L2A, np.median(forest[:, ndvi(forest, 7, 3) > 0.7], axis=1)),
                "BigEarthNet pasture (June)": (L2A, np.median(pasture[:, ndvi(pasture, 7, 3) > 0.6], axis=1)),
                "WorldCereal crops (June)": (wc_bands, np.median(cereal[:, green], axis=1))}

    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for ax, level, bands in ((axes[0], "L1C", L1C), (axes[1], "L2A", L2A)):
        x = [NM[b] for b in bands]
        for c, med in synth[level].items():
            ax.plot(x, med, "-o", ms=3, color=COLOURS[c], label=f"synth {CLASSES[c]}")
        ax.set_title(f"strata synth {level} (median, clear pixels) and real {level} samples")
        ax.set_xlabel("wavelength (nm)")
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(x)
        ax.set_xticklabels(bands, fontsize=7)
    for (name, med), style in zip(real_l1c.items(), ("k--s", "k:^")):
        axes[0].plot([NM[b] for b in L1C], med, style, ms=4, label=name)
    for (name, (bands, med)), style in zip(real_l2a.items(), ("k--s", "k:^", "k-.d")):
        axes[1].plot([NM[b] for b in bands], med, style, ms=4, label=name)
    axes[0].set_ylabel("DN (reflectance x 10000)")
    for ax in axes:
        ax.legend(fontsize=6, ncol=2)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT, dpi=90)
    print(OUT)


if __name__ == "__main__":
    main()
