#!/usr/bin/python3
"""Derives data/spectra/s2_class_spectra.csv from the real Sentinel-2 samples in
../shared/data/real (BigEarthNet L2A patches, WorldCereal monthly L2A composites,
the Sen1Floods11 L1C chip) plus published/approximate values for what they lack.

Run:  /usr/bin/python3 scripts/derive_spectra.py [REAL_DIR] > data/spectra/s2_class_spectra.csv
Needs numpy and GDAL's Python bindings. Every row says where it came from (column `source`).

The samples have scene-level labels (BigEarthNet) or none (WorldCereal), so pixels are picked
per class with simple spectral-index rules inside scenes whose labels say the class is there;
the rule for each row is in its `source` column. DN = reflectance x 10000 (L2A / BOA scale).
"""
import glob
import os
import sys

import numpy as np
from osgeo import gdal

BANDS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"]
CLASSES = ["water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built",
           "bare", "snow_and_ice"]
REAL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared",
                                                          "data", "real")
BEN_ORDER = ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12"]
WC_ORDER = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12"]
# L2A has no B10 (cirrus, 1375 nm). Over clear surfaces L1C B10 is a few DN: the Sen1Floods11
# L1C chip measures it (see b10_from_l1c below) and every row gets that value.


def read(path):
    return gdal.Open(path).ReadAsArray().astype(np.float64)


def ben(patch):
    a = read(os.path.join(REAL, "bigearthnet-s2-patches", "stacked", patch + ".tif"))
    return {b: a[i] for i, b in enumerate(BEN_ORDER)}


def worldcereal(month):
    a = read(os.path.join(REAL, "worldcereal-belgium-monthly", f"S2_L2A_monthly_{month}.tif"))
    return {b: a[i] for i, b in enumerate(WC_ORDER)}


def nd(x, y):
    return (x - y) / (x + y + 1e-9)


def ndvi(s):
    return nd(s["B8"], s["B4"])


def ndwi(s):
    return nd(s["B3"], s["B8"])


def ndsi(s):
    return nd(s["B3"], s["B11"])


def fill_missing(s, fits):
    """WorldCereal lacks B1, B8A, B9: predict them with linear fits learned on BigEarthNet."""
    out = dict(s)
    for band, (src, a, b) in fits.items():
        if band not in out:
            out[band] = a * out[src] + b
    return out


def learn_fits():
    """Least-squares fits B1~B2, B8A~B8 (with B7), B9~B8A over all BigEarthNet pixels."""
    xs = {k: [] for k in BEN_ORDER}
    for f in sorted(glob.glob(os.path.join(REAL, "bigearthnet-s2-patches", "stacked", "*.tif"))):
        s = ben(os.path.basename(f)[:-4])
        for k in BEN_ORDER:
            xs[k].append(s[k].ravel())
    xs = {k: np.concatenate(v) for k, v in xs.items()}
    fits = {}
    for band, src in (("B1", "B2"), ("B8A", "B8"), ("B9", "B8A")):
        a, b = np.polyfit(xs[src], xs[band], 1)
        fits[band] = (src, a, b)
    return fits


def stats(samples, mask):
    mean = {b: float(samples[b][mask].mean()) for b in samples}
    std = {b: float(samples[b][mask].std()) for b in samples}
    return mean, std, int(mask.sum())


def pooled(parts):
    """Mean and std over several (samples, mask) pairs pooled as one pixel set."""
    vals = {}
    for s, m in parts:
        for b in s:
            vals.setdefault(b, []).append(s[b][m].ravel())
    vals = {b: np.concatenate(v) for b, v in vals.items()}
    n = len(next(iter(vals.values())))
    return {b: float(v.mean()) for b, v in vals.items()}, {b: float(v.std()) for b, v in vals.items()}, n


def b10_from_l1c():
    a = read(os.path.join(REAL, "sen1floods11-spain", "S2_L1C_20190918.tif"))
    valid = a[0] > 0
    return float(np.median(a[10][valid])), float(a[10][valid].std())


def main():
    fits = learn_fits()
    b10_mean, b10_std = b10_from_l1c()
    rows = []

    def add(cls, variant, mean, std, n, source):
        mean = dict(mean)
        std = dict(std)
        mean.setdefault("B10", b10_mean)
        std.setdefault("B10", b10_std)
        for b in BANDS:
            # Fitted bands carry the fit's spread, not zero: give them 8 % of the mean at least.
            std[b] = max(std.get(b, 0.0), 0.08 * mean[b] if b in ("B1", "B8A", "B9") and b not in std else 0.0)
            std[b] = max(std[b], 5.0)
        rows.append((cls, variant, mean, std, n, source))

    # --- water: a lake/river in a Finnish BigEarthNet patch (CLC 'Water bodies'), NDWI > 0.
    s = ben("S2B_MSIL2A_20170924T93020_69_24")
    m = ndwi(s) > 0.0
    add("water", "clear", *stats(s, m), "BEN S2B_20170924_69_24 (CLC water bodies) pixels NDWI>0")
    # turbid flood water: Sen1Floods11 L1C water-mask pixels, dark-object subtraction to BOA
    # (per band: minus the chip's 0.5th percentile, plus 1 % of it) - an approximate correction.
    a = read(os.path.join(REAL, "sen1floods11-spain", "S2_L1C_20190918.tif"))
    lab = gdal.Open(os.path.join(REAL, "sen1floods11-spain", "label_water.tif")).ReadAsArray()
    valid = a[0] > 0
    s = {}
    for i, b in enumerate(BANDS):
        dark = np.percentile(a[i][valid], 0.5)
        s[b] = a[i] - dark + 0.01 * dark if b != "B10" else a[i]
    add("water", "turbid", *stats(s, lab == 1),
        "Sen1Floods11 Spain L1C 2019-09-18 hand-labelled water, dark-object-subtracted to BOA")

    # --- trees: broad-leaved/mixed forest patches (Sept, Finland/Lithuania), NDVI > 0.7 -> leaf_on;
    # coniferous patch -> conifer.
    parts = []
    for p in ("S2B_MSIL2A_20170924T93021_41_29", "S2B_MSIL2A_20170927T094019_66_56"):
        s = ben(p)
        parts.append((s, ndvi(s) > 0.7))
    leaf_on = pooled(parts)
    add("trees", "leaf_on", *leaf_on, "BEN 41_29 + 66_56 (CLC broad-leaved/mixed forest, Sept) NDVI>0.7")
    s = ben("S2B_MSIL2A_20170924T093019_43_47")
    add("trees", "conifer", *stats(s, ndvi(s) > 0.7), "BEN 43_47 (CLC coniferous forest, Sept) NDVI>0.7")

    # --- crops: WorldCereal Belgian farmland monthly composites.
    months = ["2020-11", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06", "2021-07", "2021-08",
              "2021-09", "2021-10"]
    wc = {mo: fill_missing(worldcereal(mo), fits) for mo in months}
    nd_stack = np.stack([ndvi(wc[mo]) for mo in months])
    never_green = nd_stack.max(0) < 0.35  # village houses, farm yards, the road
    s = wc["2021-06"]
    add("crops", "green", *stats(s, (ndvi(s) > 0.8) & ~never_green),
        "WorldCereal Belgium 2021-06 composite NDVI>0.8 (B1,B8A,B9 fitted on BEN)")
    # senesced cereal: green (>0.7) in June, 0.25..0.5 in July (ripe wheat/barley before harvest)
    s = wc["2021-07"]
    sen = (ndvi(wc["2021-06"]) > 0.7) & (ndvi(s) > 0.25) & (ndvi(s) < 0.5) & ~never_green
    add("crops", "senescent", *stats(s, sen), "WorldCereal 2021-07 pixels green in June, NDVI 0.25-0.5 in July")
    s = wc["2021-03"]
    add("crops", "bare_soil", *stats(s, (ndvi(s) < 0.2) & ~never_green),
        "WorldCereal 2021-03 (ploughed fields before sowing) NDVI<0.2")

    # --- built: WorldCereal pixels never green in any month (village and road), pooled over months.
    add("built", "all", *pooled([(wc[mo], never_green) for mo in months]),
        "WorldCereal pixels with max monthly NDVI<0.35 (village, road), all months pooled")

    # --- grass: Irish pasture patch (June) NDVI 0.6-0.8 (grazed sward with some soil and dry
    # leaves: the typical meadow, not the lushest pixels, which look like a green crop) -> summer; WorldCereal Feb moderately
    # green pixels (winter pasture/grass strips) -> dormant.
    s = ben("S2A_MSIL2A_20170617T113321_4_55")
    add("grass", "summer", *stats(s, (ndvi(s) > 0.6) & (ndvi(s) < 0.8)), "BEN 4_55 (CLC pastures, Ireland, June) NDVI 0.6-0.8")
    s = wc["2021-02"]
    add("grass", "dormant", *stats(s, (ndvi(s) > 0.45) & (ndvi(s) < 0.65)),
        "WorldCereal 2021-02 pixels NDVI 0.45-0.65 (winter grass/pasture, ambiguous with winter cereal)")

    # --- shrub: Portuguese patch with CLC transitional woodland/shrub (Dec), NDVI 0.4-0.6.
    s = ben("S2A_MSIL2A_20171221T112501_56_35")
    add("shrub_and_scrub", "all", *stats(s, (ndvi(s) > 0.4) & (ndvi(s) < 0.6)),
        "BEN 56_35 (CLC transitional woodland/shrub, Portugal, Dec) NDVI 0.4-0.6 (mixed with cultivation)")

    # --- flooded vegetation: emergent marsh vegetation (reeds, sedges, rice) standing in water:
    # green-vegetation visible and red edge, NIR lowered by the water below the canopy, SWIR low
    # (wet). The only wetland sample here (BEN 69_24, a Finnish peat bog, NDVI 0.25-0.65) is a bog
    # moss/water mixture that Dynamic World's model calls trees; the values below follow the
    # shape of the backward model's flooded_vegetation rendering corrected to the surface
    # (docs/synth.md), with the sample's B1/B8A/B9 ratios. Approximate: std 15 % of the mean.
    flooded = dict(zip(BANDS, [120, 200, 360, 265, 580, 1450, 1790, 1870, 1950, 1900, 10, 515, 175]))
    add("flooded_vegetation", "all", flooded, {b: 0.15 * v for b, v in flooded.items()}, 0,
        "approximate emergent marsh vegetation in water (Dynamic World backward-model shape, surface)")

    # --- snow: the snow-covered Lithuanian/Finnish Feb patch, NDSI > 0.4 and bright.
    s = ben("S2B_MSIL2A_20180204T94161_57_38")
    add("snow_and_ice", "all", *stats(s, (ndsi(s) > 0.4) & (s["B3"] > 2500)),
        "BEN 57_38 (Feb, 97% snow) NDSI>0.4 and B3>2500")

    # --- bare: the samples have no bare rock/sand; approximate published values for a bright dry
    # soil / sparse rock / sand (shape of the USGS splib07 and ASTER/ECOSTRESS soil spectra:
    # reflectance rising from ~0.13 at 443 nm to ~0.36 at 1610 nm, lower at 2190 nm; as bright
    # as the geometric mean of a dry loam and Dynamic World's backward-model bare rendering).
    # Approximate, not a library lookup: std 12 % of the mean.
    bare = dict(zip(BANDS, [1300, 1510, 1960, 2400, 2550, 2750, 2900, 3070, 3190, 3000, 10, 3610, 2940]))
    add("bare", "all", bare, {b: 0.12 * v for b, v in bare.items()}, 0,
        "approximate published bright soil/rock (USGS splib07 / ASTER soil spectra shape)")
    # burn scar (fresh): low NIR, SWIR-2 above NIR (NBR < 0), dark visible - approximate published
    # post-fire values (e.g. Key & Benson 2006 NBR; typical S2 burn-scar reflectance).
    burn = dict(zip(BANDS, [700, 650, 750, 850, 1000, 1150, 1250, 1300, 1400, 1350, 10, 2100, 1900]))
    add("bare", "burn_scar", burn, {b: 0.15 * v for b, v in burn.items()}, 0,
        "approximate published fresh burn scar (NBR<0: B12 > B8)")
    # leaf-off deciduous forest: no sample in winter; 30 % leaf-on canopy (evergreen understorey,
    # ivy, moss) + 70 % March bare soil darkened to 55 % (branches, trunks and the shadows they
    # cast on the litter) - a linear mixture, the modelling choice is documented.
    lo_m = {b: 0.3 * leaf_on[0][b] + 0.7 * 0.55 * wc_bs for b, wc_bs in
            stats(wc["2021-03"], (ndvi(wc["2021-03"]) < 0.2) & ~never_green)[0].items()}
    lo_s = {b: max(0.3 * leaf_on[1][b], 0.1 * lo_m[b]) for b in lo_m}
    add("trees", "leaf_off", lo_m, lo_s, 0, "mixture 0.3 trees/leaf_on + 0.7 x 0.55 crops/bare_soil (shadowed; no winter forest sample)")

    order = {c: i for i, c in enumerate(CLASSES)}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    print("class_id,class,variant,stat," + ",".join(BANDS) + ",n_pixels,source")
    for cls, variant, mean, std, n, source in rows:
        for stat, d in (("mean", mean), ("std", std)):
            vals = ",".join(f"{d[b]:.0f}" for b in BANDS)
            print(f"{order[cls]},{cls},{variant},{stat},{vals},{n},\"{source}\"")


if __name__ == "__main__":
    main()
