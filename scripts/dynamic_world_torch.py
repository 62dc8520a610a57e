#!/usr/bin/python3
"""An independent PyTorch reference for Google's Dynamic World networks, without TensorFlow.

It reads a TensorFlow SavedModel folder (``../shared/models/dynamicworld/forward`` or
``backward``) with nothing but the standard library, numpy and python3-snappy, and runs the
network generically from its Keras functional config with torch.nn.functional (NCHW):

* ``saved_model.pb``: only the Keras functional config is used, the JSON string that begins
  ``{"class_name": "Functional"`` (the first one is the outermost model).
* ``variables/variables.index``: a LevelDB SSTable (48-byte footer, magic 0xdb4775248b80fb57;
  blocks end in a type byte, 0 raw or 1 Snappy, and a masked crc32c of block + type byte; keys
  are prefix-compressed with restart points). Its values are ``BundleEntryProto`` messages,
  decoded by the hand-written protobuf wire-format parser below; the entry with the empty key
  is the ``BundleHeaderProto``.
* ``variables/variables.data-00000-of-00001``: the raw little-endian tensors. Every tensor's
  masked crc32c is checked. Numeric tensors: crc32c of their bytes. DT_STRING tensors are
  stored as [varint64 length of each element][masked crc32c of the lengths (4 bytes LE)]
  [element bytes...], and their crc32c covers each length as a little-endian *uint32* (uint64
  only above 2^32-1; not the varint bytes), then the 4 masked-length-crc bytes, then the
  element bytes.
* ``_CHECKPOINTABLE_OBJECT_GRAPH`` (a scalar DT_STRING tensor) holds a serialized
  ``TrackableObjectGraph``; node 0 is the outer model, a model's child ``layer-K`` is the K-th
  entry of its config's ``layers`` list, and a layer's children ``kernel``, ``bias``,
  ``depthwise_kernel``, ``gamma``, ``beta``, ``moving_mean``, ``moving_variance`` carry the
  attribute ``VARIABLE_VALUE`` whose ``checkpoint_key`` names the variable.

Normalisation (``normalise``): per band b in the order B2 B3 B4 B5 B6 B7 B8 B11 B12,
x = ln(DN * 0.005 + 1); x = (x - P[b][0]) / P[b][1]; x = sigmoid(5 x - 1), and a pixel whose
DN is 0 in band b gets exactly 0.0 in that band (strata's no-data convention; pass
``nodata_zero=False`` for the plain formula).

Library use::

    import dynamic_world_torch as dw
    model = dw.load("../shared/models/dynamicworld/forward", dtype=torch.float64)
    logits = model(dw.normalise(dn))          # dn: [N, 9, H, W] L1C digital numbers

CLI (Debian's python3, python3-torch, python3-snappy, python3-gdal)::

    /usr/bin/python3 scripts/dynamic_world_torch.py MODEL_DIR --summary
    /usr/bin/python3 scripts/dynamic_world_torch.py MODEL_DIR --image S2.tif --bands 2,3,4,5,6,7,8,12,13 \\
        [--window X Y W H] [--float64] [--probs-out probs.npy] [--label label_water.tif]
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

try:
    import snappy as _snappy
except ImportError:  # the pure-Python decoder below is used instead
    _snappy = None

CLASSES = ["water", "trees", "grass", "flooded_vegetation", "crops", "shrub_and_scrub", "built", "bare",
           "snow_and_ice"]
BANDS = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12"]
# (shift, scale) of the log-DN per band, from google/dynamicworld single_image_runner.ipynb.
NORM_PERCENTILES = [
    (1.7417268007636313, 2.023298706048351),
    (1.7261204997060209, 2.038905204308012),
    (1.6798346251414997, 2.179592821212937),
    (1.7734969472909623, 2.2890068333026603),
    (2.289154079164943, 2.6171674549378166),
    (2.382939712192371, 2.773418590375327),
    (2.3828939530384052, 2.7578332604178284),
    (2.1952484264967844, 2.789092484314204),
    (1.554812948247501, 2.4140534947492487),
]

# ----------------------------------------------------------------------------------------------
# crc32c (Castagnoli), snappy, protobuf wire format


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """crc32c of data, continuing from crc (the value of a previous call, as crc32c::Extend)."""
    table = _CRC_TABLE
    c = crc ^ 0xFFFFFFFF
    for b in bytes(data):
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def mask_crc(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_varint(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def snappy_uncompress(data):
    """Raw (unframed) Snappy block decompression; python3-snappy when installed."""
    if _snappy is not None:
        return _snappy.uncompress(bytes(data))
    n, pos = read_varint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            if length >= 60:
                nb = length - 59
                length = int.from_bytes(data[pos:pos + nb], "little")
                pos += nb
            length += 1
            out += data[pos:pos + length]
            pos += length
            continue
        if kind == 1:
            length = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise ValueError("snappy: bad copy offset")
        for _ in range(length):  # copies may overlap their own output
            out.append(out[-offset])
    if len(out) != n:
        raise ValueError(f"snappy: {len(out)} bytes, header says {n}")
    return bytes(out)


def parse_proto(buf):
    """Protobuf wire format -> {field number: [values]}; varints as int, fixed32/64 as int,
    length-delimited as bytes (parse nested messages with another call)."""
    fields = {}
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value = int.from_bytes(buf[pos:pos + 8], "little")
            pos += 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value = bytes(buf[pos:pos + length])
            pos += length
        elif wire == 5:
            value = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        else:
            raise ValueError(f"protobuf: unsupported wire type {wire} (field {field})")
        if pos > end:
            raise ValueError("protobuf: message truncated")
        fields.setdefault(field, []).append(value)
    return fields


def _one(fields, number, default=None):
    values = fields.get(number)
    return values[-1] if values else default


# ----------------------------------------------------------------------------------------------
# LevelDB SSTable and the tensor bundle

SSTABLE_MAGIC = 0xDB4775248B80FB57


def _read_block(data, offset, size):
    contents = data[offset:offset + size]
    kind = data[offset + size]
    stored = int.from_bytes(data[offset + size + 1:offset + size + 5], "little")
    if mask_crc(crc32c(data[offset:offset + size + 1])) != stored:
        raise ValueError(f"sstable: block at {offset} fails its crc32c")
    if kind == 0:
        return bytes(contents)
    if kind == 1:
        return snappy_uncompress(contents)
    raise ValueError(f"sstable: unknown block compression {kind}")


def _block_entries(block):
    num_restarts = int.from_bytes(block[-4:], "little")
    end = len(block) - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = read_varint(block, pos)
        non_shared, pos = read_varint(block, pos)
        value_len, pos = read_varint(block, pos)
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len


def read_sstable(path):
    """All (key, value) pairs of a LevelDB table, in key order."""
    with open(path, "rb") as f:
        data = f.read()
    footer = data[-48:]
    if int.from_bytes(footer[40:], "little") != SSTABLE_MAGIC:
        raise ValueError(f"{path}: not an SSTable (bad magic)")
    _meta_off, p = read_varint(footer, 0)
    _meta_size, p = read_varint(footer, p)
    index_off, p = read_varint(footer, p)
    index_size, p = read_varint(footer, p)
    out = []
    for _last_key, handle in _block_entries(_read_block(data, index_off, index_size)):
        off, p = read_varint(handle, 0)
        size, p = read_varint(handle, p)
        out.extend(_block_entries(_read_block(data, off, size)))
    return out


DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 10: np.bool_, 19: np.float16}
DT_STRING = 7


def parse_bundle_entry(value):
    f = parse_proto(value)
    shape_msg = parse_proto(_one(f, 2, b""))
    dims = [_one(parse_proto(d), 1, 0) for d in shape_msg.get(2, [])]
    if f.get(7):
        raise ValueError("sliced bundle entries are not supported")
    return {"dtype": _one(f, 1, 0), "shape": dims, "shard_id": _one(f, 3, 0), "offset": _one(f, 4, 0),
            "size": _one(f, 5, 0), "crc32c": _one(f, 6, 0)}


def _decode_string_tensor(raw, count):
    pos, lengths, crc = 0, [], 0
    for _ in range(count):
        n, pos = read_varint(raw, pos)
        lengths.append(n)
        crc = crc32c(struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n), crc)
    stored = raw[pos:pos + 4]
    if struct.unpack("<I", stored)[0] != mask_crc(crc):
        raise ValueError("string tensor: length checksum mismatch")
    crc = crc32c(stored, crc)
    pos += 4
    out = []
    for n in lengths:
        out.append(bytes(raw[pos:pos + n]))
        crc = crc32c(raw[pos:pos + n], crc)
        pos += n
    if pos != len(raw):
        raise ValueError("string tensor: trailing bytes")
    return out, crc


def read_bundle(variables_prefix):
    """{checkpoint key: numpy array (numeric) or list of bytes (DT_STRING)}, crc-checked."""
    entries = read_sstable(variables_prefix + ".index")
    header = parse_proto(entries[0][1]) if entries and entries[0][0] == b"" else {}
    shards = _one(header, 1, 1)
    if _one(header, 2, 0) != 0:
        raise ValueError("big-endian bundles are not supported")
    data = {}
    tensors = {}
    for key, value in entries:
        if key == b"":
            continue
        e = parse_bundle_entry(value)
        if e["shard_id"] not in data:
            with open(f"{variables_prefix}.data-{e['shard_id']:05d}-of-{shards:05d}", "rb") as f:
                data[e["shard_id"]] = f.read()
        raw = data[e["shard_id"]][e["offset"]:e["offset"] + e["size"]]
        if len(raw) != e["size"]:
            raise ValueError(f"{key!r}: data file too short")
        count = int(np.prod(e["shape"], dtype=np.int64))
        if e["dtype"] == DT_STRING:
            value, crc = _decode_string_tensor(raw, count)
        elif e["dtype"] in DTYPES:
            dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
            if count * dt.itemsize != len(raw):
                raise ValueError(f"{key!r}: {len(raw)} bytes for shape {e['shape']}")
            value = np.frombuffer(raw, dtype=dt).reshape(e["shape"]).copy()
            crc = crc32c(raw)
        else:
            raise ValueError(f"{key!r}: unsupported dtype {e['dtype']}")
        if mask_crc(crc) != e["crc32c"]:
            raise ValueError(f"{key.decode()}: crc32c mismatch")
        tensors[key.decode()] = value
    return tensors


def parse_object_graph(serialized):
    """TrackableObjectGraph -> list of {"children": {local_name: node_id}, "keys": {name: ckpt key}}."""
    nodes = []
    for node in parse_proto(serialized).get(1, []):
        f = parse_proto(node)
        children = {}
        for ref in f.get(1, []):
            r = parse_proto(ref)
            children[_one(r, 2, b"").decode()] = _one(r, 1, 0)
        keys = {}
        for attr in f.get(2, []):
            a = parse_proto(attr)
            keys[_one(a, 1, b"").decode()] = _one(a, 3, b"").decode()
        nodes.append({"children": children, "keys": keys})
    return nodes


def keras_config(saved_model_pb):
    with open(saved_model_pb, "rb") as f:
        blob = f.read()
    at = blob.find(b'{"class_name": "Functional"')
    if at < 0:
        raise ValueError(f"{saved_model_pb}: no Keras functional config")
    config, _end = json.JSONDecoder().raw_decode(blob[at:].decode("utf-8", errors="replace"))
    return _untuple(config)


def _untuple(v):
    """Keras writes tuples as {"class_name": "__tuple__", "items": [...]}; make them lists."""
    if isinstance(v, dict):
        if v.get("class_name") == "__tuple__" and set(v) == {"class_name", "items"}:
            return [_untuple(x) for x in v["items"]]
        return {k: _untuple(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_untuple(x) for x in v]
    return v


# ----------------------------------------------------------------------------------------------
# The network

WEIGHT_NAMES = ("kernel", "bias", "depthwise_kernel", "gamma", "beta", "moving_mean", "moving_variance")
CHANNEL_AXIS = {-1: 1, 3: 1, 1: 2, 2: 3, 0: 0}  # NHWC axis -> NCHW dim (rank 4)


def _is_entry(x):
    return isinstance(x, list) and len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int)


def _entries(node):
    if _is_entry(node):
        return [node]
    out = []
    for x in node:
        out.extend(_entries(x))
    return out


def _tf_same_pad(x, kernel, strides, dilation):
    """Pads x (NCHW) as TF's 'same' padding does (extra row/column at the end)."""
    pads = []
    for dim, k, s, d in zip(x.shape[2:], kernel, strides, dilation):
        total = max((math.ceil(dim / s) - 1) * s + (k - 1) * d + 1 - dim, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom)) if top or bottom or left or right else x


def _softplus(x):
    # log1p(exp(x)), returning x above the threshold where that is exact to the dtype's precision
    return F.softplus(x, beta=1, threshold=40 if x.dtype == torch.float64 else 20)


def _nhwc_shape(x):
    if torch.is_tensor(x):
        s = list(x.shape)
        return [s[0]] + s[2:] + [s[1]] if len(s) == 4 else s
    raise TypeError("shape of a non-tensor")


def _elementwise(x, y, op):
    if torch.is_tensor(x) or torch.is_tensor(y):
        return op(x, y)
    if isinstance(x, list):
        return [op(v, y[i] if isinstance(y, list) else y) for i, v in enumerate(x)]
    return op(x, y)


class Functional:
    """One Keras functional model: layers, their weights (as torch tensors) and the call graph."""

    def __init__(self, config, nodes, node_id, tensors, dtype, prefix=""):
        self.config = config["config"]
        self.name = self.config.get("name", "model")
        self.layers = {}
        self.weights = {}
        children = nodes[node_id]["children"]
        for k, layer in enumerate(self.config["layers"]):
            name, cls = layer["config"]["name"], layer["class_name"]
            self.layers[name] = layer
            child = children.get(f"layer-{k}")
            if cls == "Functional":
                if child is None:
                    raise ValueError(f"{prefix}{name}: nested model has no object-graph node")
                self.weights[name] = Functional(layer, nodes, child, tensors, dtype, prefix + name + "/")
                continue
            w = {}
            if child is not None:
                for wname, wnode in nodes[child]["children"].items():
                    if wname in WEIGHT_NAMES:
                        key = nodes[wnode]["keys"].get("VARIABLE_VALUE")
                        if key is None or key not in tensors:
                            raise ValueError(f"{prefix}{name}.{wname}: no checkpoint value")
                        w[wname] = torch.from_numpy(np.asarray(tensors[key])).to(dtype)
            self.weights[name] = self._prepare(name, cls, layer["config"], w)

    @staticmethod
    def _prepare(name, cls, cfg, w):
        """Converts Keras HWIO / depthwise kernels to torch's OIHW / grouped layout."""
        if cls == "Conv2D":
            if cfg.get("groups", 1) != 1:
                raise ValueError(f"{name}: grouped Conv2D is not supported")
            w["weight"] = w.pop("kernel").permute(3, 2, 0, 1).contiguous()
        elif cls == "DepthwiseConv2D":
            k = w.pop("depthwise_kernel")  # [kh, kw, C, M]; output channel c*M + m
            kh, kw, c, m = k.shape
            w["weight"] = k.reshape(kh, kw, c * m).permute(2, 0, 1).unsqueeze(1).contiguous()
        return w

    def parameter_count(self):
        n = 0
        for v in self.weights.values():
            n += v.parameter_count() if isinstance(v, Functional) else sum(t.numel() for t in v.values())
        return n

    # -- running ------------------------------------------------------------------------------

    def __call__(self, *inputs):
        outs = self.run(list(inputs))
        return outs[0] if len(outs) == 1 else outs

    def run(self, inputs):
        cfg = self.config
        values = {}
        for (name, ni, ti), x in zip(cfg["input_layers"], inputs):
            values[(name, ni)] = [x]
        if len(inputs) != len(cfg["input_layers"]):
            raise ValueError(f"{self.name}: {len(cfg['input_layers'])} inputs expected")
        pending = []
        uses = {}  # (layer, node index) -> number of calls still to read it
        for name, layer in self.layers.items():
            base = 1 if layer["class_name"] == "Functional" else 0
            for j, node in enumerate(layer["inbound_nodes"]):
                deps = self._dependencies(node)
                for d in deps:
                    uses[d] = uses.get(d, 0) + 1
                pending.append((name, base + j, node, deps))
        keep = {(name, ni) for name, ni, _ti in cfg["output_layers"]}
        while pending:
            left = []
            for name, ni, node, deps in pending:
                args = self._resolve_node(node, values)
                if args is None:
                    left.append((name, ni, node, deps))
                    continue
                first, kwargs = args
                out = self._call_layer(name, first, kwargs)
                del first, kwargs, args
                values[(name, ni)] = out if isinstance(out, list) and self.layers[name]["class_name"] == "Functional" \
                    else [out]
                for d in deps:  # free what no later call reads
                    uses[d] -= 1
                    if uses[d] == 0 and d not in keep:
                        del values[d]
            if len(left) == len(pending):
                raise ValueError(f"{self.name}: cannot order the layers {[p[0] for p in left]}")
            pending = left
        return [values[(name, ni)][ti] for name, ni, ti in cfg["output_layers"]]

    def _dependencies(self, node):
        entries = _entries(node)
        deps = {(e[0], e[1]) for e in entries if e[0] != "_CONSTANT_VALUE"}
        raw = entries[-1][3] if len(entries[-1]) > 3 else {}
        for v in raw.values():
            if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and v[0] in self.layers:
                deps.add((v[0], v[1]))
        return deps

    def _ref(self, ref, values):
        name, ni, ti = ref[0], ref[1], ref[2]
        got = values.get((name, ni))
        return None if got is None else got[ti]

    def _resolve_kwarg(self, v, values):
        if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and v[0] in self.layers \
                and isinstance(v[1], int) and isinstance(v[2], int):
            return self._ref(v, values)
        return v

    def _resolve_node(self, node, values):
        """(first argument, kwargs) of one call, or None while an input is not computed yet."""
        entries = _entries(node)
        tensors = []
        for e in entries:
            if e[0] == "_CONSTANT_VALUE":
                tensors.append(e[2])
                continue
            t = self._ref(e, values)
            if t is None:
                return None
            tensors.append(t)
        kwargs = {}
        raw = entries[-1][3] if len(entries[-1]) > 3 else {}
        for k, v in raw.items():
            r = self._resolve_kwarg(v, values)
            if r is None and v is not None:
                return None
            kwargs[k] = r
        first = tensors[0] if (_is_entry(node) or len(tensors) == 1) else tensors
        return first, kwargs

    def _call_layer(self, name, x, kwargs):
        layer = self.layers[name]
        cls, cfg, w = layer["class_name"], layer["config"], self.weights[name]
        if cls == "InputLayer":
            return x
        if cls == "Functional":
            return w.run(x if isinstance(x, list) else [x])
        if cls in ("Conv2D", "DepthwiseConv2D"):
            if cfg.get("data_format", "channels_last") != "channels_last":
                raise ValueError(f"{name}: only channels_last is supported")
            if cfg.get("activation", "linear") != "linear":
                raise ValueError(f"{name}: activation {cfg['activation']} is not supported")
            ks, st, dl = cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]
            if cfg["padding"] == "same":
                x = _tf_same_pad(x, ks, st, dl)
            elif cfg["padding"] != "valid":
                raise ValueError(f"{name}: padding {cfg['padding']} is not supported")
            groups = x.shape[1] if cls == "DepthwiseConv2D" else 1
            return F.conv2d(x, w["weight"], w.get("bias") if cfg.get("use_bias", True) else None,
                            stride=tuple(st), dilation=tuple(dl), groups=groups)
        if cls == "BatchNormalization":
            axis = cfg["axis"]
            axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
            if axis not in (3, -1):
                raise ValueError(f"{name}: batch norm over axis {cfg['axis']} is not supported")
            return F.batch_norm(x, w["moving_mean"], w["moving_variance"], w.get("gamma") if cfg.get("scale", True)
                                else None, w.get("beta") if cfg.get("center", True) else None, training=False,
                                eps=cfg["epsilon"])
        if cls == "SlicingOpLambda" and cfg.get("function") == "__operators__.getitem":
            spec = kwargs["slice_spec"]
            if not isinstance(x, list):
                raise ValueError(f"{name}: getitem on a tensor is not supported")
            if isinstance(spec, dict):
                return x[slice(spec.get("start"), spec.get("stop"), spec.get("step"))]
            return x[spec]
        if cls == "TFOpLambda":
            return self._tf_op(name, cfg["function"], x, kwargs)
        raise ValueError(f"{name}: layer type {cls} is not supported")

    @staticmethod
    def _tf_op(name, fn, x, kw):
        if fn == "math.softplus":
            return _softplus(x)
        if fn == "math.tanh":
            return torch.tanh(x)
        if fn == "math.multiply":
            return _elementwise(x, kw["y"], lambda a, b: a * b)
        if fn == "__operators__.add" or fn == "math.add":
            return _elementwise(x, kw["y"], lambda a, b: a + b)
        if fn == "math.truediv":
            return _elementwise(x, kw["y"], lambda a, b: a / b)
        if fn in ("compat.v1.shape", "shape"):
            return _nhwc_shape(x)
        if fn == "cast":
            dt = kw["dtype"]
            if torch.is_tensor(x):
                raise ValueError(f"{name}: cast of a tensor is not supported")
            conv = int if dt.startswith("int") else float  # int() truncates toward zero, as tf.cast
            return [conv(v) for v in x] if isinstance(x, list) else conv(x)
        if fn == "concat":
            axis = kw.get("axis", -1)
            return torch.cat(list(x), dim=CHANNEL_AXIS[axis])
        if fn == "math.l2_normalize":
            axis = kw.get("axis", -1)
            axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
            eps = kw.get("epsilon", 1e-12)
            dim = CHANNEL_AXIS[axis]
            return x * torch.rsqrt(torch.clamp((x * x).sum(dim=dim, keepdim=True), min=eps))
        if fn == "image.resize":
            method = kw.get("method", "bilinear")
            if method != "bilinear":
                raise ValueError(f"{name}: resize method {method} is not supported")
            if kw.get("preserve_aspect_ratio", False):
                raise ValueError(f"{name}: preserve_aspect_ratio is not supported")
            size = [int(v) for v in kw["size"]]
            if kw.get("antialias", False):
                return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
            return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        raise ValueError(f"{name}: TFOpLambda function {fn} is not supported")


def load(model_dir, dtype=torch.float32):
    """The outer Functional model of a SavedModel folder, with its weights in dtype."""
    config = keras_config(os.path.join(model_dir, "saved_model.pb"))
    tensors = read_bundle(os.path.join(model_dir, "variables", "variables"))
    graph = tensors.get("_CHECKPOINTABLE_OBJECT_GRAPH")
    if graph is None:
        raise ValueError(f"{model_dir}: no _CHECKPOINTABLE_OBJECT_GRAPH")
    nodes = parse_object_graph(graph[0])
    return Functional(config, nodes, 0, tensors, dtype)


# ----------------------------------------------------------------------------------------------
# Inputs


def normalise(dn, nodata_zero=True):
    """[N, 9, H, W] L1C DN (any float/int tensor or array) -> the network's input, same dtype
    as dn if floating (float32 otherwise). A DN of 0 in a band -> exactly 0.0 in that band."""
    dn = torch.as_tensor(dn)
    if not dn.is_floating_point():
        dn = dn.to(torch.float32)
    p = torch.tensor(NORM_PERCENTILES, dtype=dn.dtype)
    shift, scale = p[:, 0].view(1, -1, 1, 1), p[:, 1].view(1, -1, 1, 1)
    x = torch.log(dn * 0.005 + 1)
    x = (x - shift) / scale
    x = torch.sigmoid(5 * x - 1)
    if nodata_zero:
        x = torch.where(dn == 0, torch.zeros((), dtype=x.dtype), x)
    return x


def read_bands(path, bands, window=None):
    """[C, H, W] float32 of the 1-based bands of a raster (GDAL), optionally a (x, y, w, h) window."""
    from osgeo import gdal
    ds = gdal.Open(path)
    if ds is None:
        raise ValueError(f"{path}: cannot open")
    x0, y0, w, h = window if window else (0, 0, ds.RasterXSize, ds.RasterYSize)
    return np.stack([ds.GetRasterBand(b).ReadAsArray(x0, y0, w, h).astype(np.float32) for b in bands])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("--summary", action="store_true", help="print layers and parameter count")
    ap.add_argument("--image", help="raster to classify (forward model)")
    ap.add_argument("--bands", default="2,3,4,5,6,7,8,12,13", help="1-based band indices, DW order")
    ap.add_argument("--window", nargs=4, type=int, metavar=("X", "Y", "W", "H"))
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--no-nodata-zero", action="store_true", help="apply the formula to DN 0 as well")
    ap.add_argument("--probs-out", help="write the [9, H, W] float32 probabilities (.npy)")
    ap.add_argument("--label", help="water label raster (1 water, 0 not, 255 ignore) for IoU")
    args = ap.parse_args()
    dtype = torch.float64 if args.float64 else torch.float32
    model = load(args.model_dir, dtype)
    if args.summary or not args.image:
        def show(m, indent=""):
            for name, layer in m.layers.items():
                print(f"{indent}{layer['class_name']:<20} {name}")
                if isinstance(m.weights[name], Functional):
                    show(m.weights[name], indent + "  ")
        show(model)
        print(f"parameters: {model.parameter_count()}")
    if not args.image:
        return
    bands = [int(b) for b in args.bands.split(",")]
    dn = torch.from_numpy(read_bands(args.image, bands, args.window)).unsqueeze(0).to(dtype)
    print(f"DN == 0 pixels per band: {[int((dn[0, b] == 0).sum()) for b in range(dn.shape[1])]}")
    with torch.no_grad():
        logits = model(normalise(dn, nodata_zero=not args.no_nodata_zero))
        probs = F.softmax(logits, dim=1)[0]
    cls = probs.argmax(dim=0)
    hist = torch.bincount(cls.flatten(), minlength=len(CLASSES)).tolist()
    print("histogram:", " ".join(str(h) for h in hist))
    for name, h in zip(CLASSES, hist):
        print(f"  {name:<20} {h}")
    if args.probs_out:
        np.save(args.probs_out, probs.to(torch.float32).numpy())
    if args.label:
        label = read_bands(args.label, [1], args.window)[0]
        valid = label != 255
        pred = (cls.numpy() == 0)
        truth = label == 1
        tp = int((pred & truth & valid).sum())
        fp = int((pred & ~truth & valid).sum())
        fn = int((~pred & truth & valid).sum())
        print(f"water IoU {tp / (tp + fp + fn):.4f} recall {tp / (tp + fn):.4f} precision {tp / (tp + fp):.4f} "
              f"(tp {tp} fp {fp} fn {fn}, valid {int(valid.sum())})")


if __name__ == "__main__":
    main()
