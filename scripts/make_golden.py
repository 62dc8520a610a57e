#!/usr/bin/python3
"""Writes the PyTorch reference files for tests/test_nn_golden.cpp.

Run with Debian's Python and python3-torch (PyTorch 1.13), from the repository root:

    /usr/bin/python3 scripts/make_golden.py            # writes tests/golden/*.tensors

For each model (sample-fcn at full size, unet-small with narrow widths to keep the files
small) it records: the input batch, labels (with ignored pixels) and class weights; every
parameter and buffer at initialisation; the training-mode logits, loss and every parameter
gradient at initialisation; the losses of 10 Adam/AdamW steps under a warm-up + cosine
schedule; and the evaluation-mode probabilities after those steps (which checks the
batch-norm running statistics). The settings below are repeated in the C++ test.

File format (little-endian), read by tests/golden_reader.h:
    b"STRTNSR1", uint32 count, then per tensor:
    uint32 name length, name (UTF-8), uint8 dtype (0 float32, 1 uint8), uint32 rank,
    int64 dims[rank], raw data.
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BANDS, CLASSES, BATCH, SIZE = 13, 9, 2, 16
STEPS = 10
IGNORE = 255


class SampleFcn(nn.Module):
    def __init__(self, bands, classes, widths):
        super().__init__()
        self.conv1 = nn.Conv2d(bands, widths[0], 5, padding=2)
        self.deconv = nn.ConvTranspose2d(widths[0], widths[1], 5, stride=1, padding=2)
        self.head = nn.Conv2d(widths[1], classes, 1)

    def forward(self, x):
        return self.head(F.relu(self.deconv(F.relu(self.conv1(x)))))


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class UNetSmall(nn.Module):
    def __init__(self, bands, classes, widths):
        super().__init__()
        self.depth = len(widths)
        for i, w in enumerate(widths):
            setattr(self, f"enc{i}", ConvBlock(bands if i == 0 else widths[i - 1], w))
        for j in range(self.depth - 1):
            setattr(self, f"up{j}", nn.ConvTranspose2d(widths[j + 1], widths[j], 2, stride=2))
            setattr(self, f"dec{j}", ConvBlock(2 * widths[j], widths[j]))
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i in range(self.depth):
            if i > 0:
                x = F.max_pool2d(skips[-1], 2)
            x = getattr(self, f"enc{i}")(x)
            skips.append(x)
        u = skips[-1]
        for j in reversed(range(self.depth - 1)):
            t = getattr(self, f"up{j}")(u)
            u = getattr(self, f"dec{j}")(torch.cat([t, skips[j]], dim=1))
        return self.head(u)


def lr_at(step, base, min_lr, warmup, total):
    """The schedule of src/nn/lr_schedule.h."""
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_lr + 0.5 * (base - min_lr) * (1.0 + math.cos(math.pi * progress))


def write_tensors(path, tensors):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"STRTNSR1")
        f.write(struct.pack("<I", len(tensors)))
        for name, value in tensors.items():
            a = np.ascontiguousarray(value)
            dtype = {np.dtype("float32"): 0, np.dtype("uint8"): 1}[a.dtype]
            encoded = name.encode()
            f.write(struct.pack("<I", len(encoded)) + encoded)
            f.write(struct.pack("<BI", dtype, a.ndim))
            f.write(struct.pack(f"<{a.ndim}q", *a.shape))
            f.write(a.astype(a.dtype.newbyteorder("<")).tobytes())
    os.replace(tmp, path)  # never a half-written file under the final name


def closest_to_kink(model):
    """Hooks every module whose output feeds a ReLU; returns a dict that will hold the
    smallest |pre-activation| seen. A value within float rounding of 0 can take either side
    of the ReLU in another implementation, making two correct engines disagree."""
    seen = {"min": float("inf")}

    def hook(_module, _inputs, output):
        seen["min"] = min(seen["min"], output.detach().abs().min().item())

    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d) or name in ("conv1", "deconv"):
            m.register_forward_hook(hook)
    return seen


def make(model_fn, name, optimizer_cls, weight_decay, seed):
    # Draw seeds until no pre-activation comes within 1e-5 of the ReLU kink in any step.
    for attempt in range(20):
        out, margin = make_once(model_fn(), optimizer_cls, weight_decay, seed + 1000 * attempt)
        if margin > 1e-5:
            break
        print(f"{name}: seed {seed + 1000 * attempt} brings a pre-activation to {margin:.2e} of 0; next seed")
    else:
        sys.exit(f"{name}: no seed kept clear of the ReLU kink")
    path = os.path.join("tests", "golden", name + ".tensors")
    write_tensors(path, out)
    losses = out["losses"]
    print(f"{path}: {os.path.getsize(path)} bytes, losses {losses[0]:.5f} -> {losses[-1]:.5f}, "
          f"closest pre-activation to 0: {margin:.2e}")


def make_once(model, optimizer_cls, weight_decay, seed):
    torch.manual_seed(seed)
    for p in model.parameters():  # re-draw the initialisation from this seed
        if p.dim() > 1:
            nn.init.kaiming_uniform_(p, a=math.sqrt(5))
        else:
            nn.init.uniform_(p, -0.1, 0.1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()
    gen = np.random.default_rng(seed)
    x = torch.from_numpy(gen.normal(0.0, 1.0, (BATCH, BANDS, SIZE, SIZE)).astype(np.float32))
    labels = gen.integers(0, CLASSES, (BATCH, SIZE, SIZE)).astype(np.uint8)
    labels[gen.random((BATCH, SIZE, SIZE)) < 0.1] = IGNORE
    weights = gen.uniform(0.5, 2.0, CLASSES).astype(np.float32)
    target = torch.from_numpy(labels.astype(np.int64))
    w = torch.from_numpy(weights)

    out = {"input": x.numpy(), "labels": labels, "class_weights": weights}
    for k, v in model.state_dict().items():
        if v.dtype == torch.float32:  # BatchNorm's num_batches_tracked is bookkeeping, not state
            out["param." + k] = v.detach().numpy().copy()

    def loss_of(logits):
        return F.cross_entropy(logits, target, weight=w, ignore_index=IGNORE, label_smoothing=0.1)

    model.train()
    snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    logits = model(x)
    loss = loss_of(logits)
    loss.backward()
    out["logits.train"] = logits.detach().numpy()
    out["loss.initial"] = np.array([loss.item()], dtype=np.float32)
    for k, p in model.named_parameters():
        out["grad." + k] = p.grad.detach().numpy().copy()
    model.load_state_dict(snapshot)  # undo the running-statistics update of that forward

    opt = optimizer_cls(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay)
    seen = closest_to_kink(model)
    losses = []
    for step in range(STEPS):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, 1e-2, 1e-3, 3, STEPS)
        opt.zero_grad()
        loss = loss_of(model(x))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["losses"] = np.array(losses, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        out["probs.eval"] = F.softmax(model(x), dim=1).numpy()
    return out, seen["min"]


def main():
    if not os.path.isdir(os.path.join("tests", "golden")):
        sys.exit("run from the repository root (tests/golden/ not found)")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    make(lambda: SampleFcn(BANDS, CLASSES, [32, 16]), "sample_fcn", torch.optim.Adam, 1e-4, 1)
    make(lambda: UNetSmall(BANDS, CLASSES, [4, 8, 16]), "unet_small", torch.optim.AdamW, 1e-2, 2)


if __name__ == "__main__":
    main()
