"""Writes a small random-weights model that exercises every op of the engine, plus reference cases.

    /usr/bin/python3 scripts/make_test_model.py [--out tests/fixtures/random-model.bin] [--size 64]

Outputs:
  random-model.bin          the model (8 classes named like the real ones)
  random-model-cases.bin    u32 count, u32 S, u32 K, then per case: int8 input[S*S*3], f32 logits[K]
                            (logits from bcmodel.Graph.run, the NumPy reference of the engine's math)
Scales are calibrated on random inputs so activations neither vanish nor saturate."""
import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bcmodel  # noqa: E402

CLASSES = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]


class Builder:
    """Adds ops one by one, running each on calibration inputs to choose its output scale."""

    def __init__(self, g, rng, calib):
        self.g, self.rng = g, rng
        self.vals = [[x] for x in calib]  # per calibration input: list of int8 values so far

    def _finish(self, op_fn, out_shape, relu, clamp6=False):
        h, w, c = out_shape
        v = self.g.value(h, w, c, 1.0, 0)
        op_fn(v)
        op = self.g.ops[-1]
        r = np.concatenate([_real_output(self.g, op, vals).reshape(-1) for vals in self.vals])
        hi = max(float(np.percentile(r, 99.9)), 1e-3)
        lo = 0.0 if relu else min(float(np.percentile(r, 0.1)), 0.0)
        if clamp6:
            hi = min(hi, 6.0)
        scale = (hi - lo) / 255.0
        zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
        self.g.values[v] = (h, w, c, float(np.float32(scale)), zp)
        if "clamp" in op:
            qmax = min(127, zp + int(round(6.0 / scale))) if clamp6 else 127
            op["clamp"] = (zp if relu else -128, qmax)
        for vals in self.vals:
            vals.append(self.g.exec_op(op, vals))
        return v

    def conv(self, inp, oc, k, stride=1, groups=1, relu=True, clamp6=False, dilation=1):
        h, w, ic = self.g.values[inp][:3]
        pad = (k // 2) * dilation
        oh, ow = bcmodel.out_dim(h, k, stride, dilation, pad, pad), bcmodel.out_dim(w, k, stride, dilation, pad, pad)
        wt = self.rng.integers(-127, 128, size=(oc, ic // groups, k, k)).astype(np.int8)
        fan_in = ic // groups * k * k
        w_scale = (np.sqrt(2.0 / fan_in) / 70.0 * self.rng.uniform(0.7, 1.3, size=oc)).astype(np.float32)
        bias = self.rng.integers(-2000, 2000, size=oc).astype(np.int32)
        fn = lambda v: self.g.conv(inp, v, wt, w_scale, bias, stride=stride, pad=pad, groups=groups, dilation=dilation)
        return self._finish(fn, (oh, ow, oc), relu, clamp6)

    def add(self, a, b, relu=True):
        return self._finish(lambda v: self.g.add(a, b, v), self.g.values[a][:3], relu)

    def maxpool(self, inp, k, s, pad=0):
        h, w, c, sc, z = self.g.values[inp]
        v = self.g.value(bcmodel.out_dim(h, k, s, 1, pad, pad), bcmodel.out_dim(w, k, s, 1, pad, pad), c, sc, z)
        self.g.maxpool(inp, v, k, s, pad)
        for vals in self.vals:
            vals.append(self.g.exec_op(self.g.ops[-1], vals))
        return v

    def avgpool(self, inp, k, s, pad=0):
        h, w, c = self.g.values[inp][:3]
        shape = (bcmodel.out_dim(h, k, s, 1, pad, pad), bcmodel.out_dim(w, k, s, 1, pad, pad), c)
        return self._finish(lambda v: self.g.avgpool(inp, v, k, s, pad), shape, False)

    def gap(self, inp):
        return self._finish(lambda v: self.g.gap(inp, v), (1, 1, self.g.values[inp][2]), False)

    def fc(self, inp, oc):
        ic = self.g.values[inp][2]
        wt = self.rng.integers(-127, 128, size=(oc, ic)).astype(np.int8)
        w_scale = (np.sqrt(1.0 / ic) / 70.0 * np.ones(oc)).astype(np.float32)
        bias = self.rng.integers(-500, 500, size=oc).astype(np.int32)
        return self._finish(lambda v: self.g.fc(inp, v, wt, w_scale, bias), (1, 1, oc), True)


def _real_output(g, op, vals):
    t = op["type"]
    if t in (bcmodel.CONV, bcmodel.FC):
        ih, iw, ic, s, z = g.values[op["input"]]
        x = vals[op["input"]].astype(np.int32)
        acc = bcmodel._conv_acc(x, z, op) if t == bcmodel.CONV else (op["w"].astype(np.int32) @ (x.reshape(-1) - z) + op["bias"])
        return acc.astype(np.float64) * s * op["w_scale"].astype(np.float64)
    if t == bcmodel.ADD:
        _, _, _, sa, za = g.values[op["a"]]
        _, _, _, sb, zb = g.values[op["b"]]
        return (vals[op["a"]].astype(np.float64) - za) * sa + (vals[op["b"]].astype(np.float64) - zb) * sb
    ih, iw, ic, s, z = g.values[op["input"]]
    x = (vals[op["input"]].astype(np.float64) - z) * s
    if t == bcmodel.GAP:
        return x.mean(axis=(0, 1))
    if t == bcmodel.AVGPOOL:
        return x  # range of the average is within the input's range
    raise ValueError(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/random-model.bin")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--cases", type=int, default=4)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    S = a.size
    mean, std = [0.87, 0.75, 0.72], [0.10, 0.15, 0.09]
    g = bcmodel.Graph("random-test-model", CLASSES, S, mean, std, input_q=(0.035, -10), temperature=1.0)
    calib = [rng.integers(-128, 128, size=(S, S, 3)).astype(np.int8) for _ in range(a.cases)]
    b = Builder(g, rng, calib)
    x = b.conv(0, 16, 3, stride=2)                 # 32x32x16
    y = b.conv(x, 16, 3)
    y = b.conv(y, 16, 3, relu=False)
    x = b.add(x, y)                                # residual
    x = b.maxpool(x, 3, 2, pad=1)                  # 16x16
    x = b.conv(x, 16, 3, groups=16, clamp6=True)   # depthwise, ReLU6
    x = b.conv(x, 24, 1)                           # pointwise, not a multiple of 8 lanes
    x = b.conv(x, 24, 3, groups=3)                 # grouped
    x = b.conv(x, 40, 3, stride=2, dilation=1)     # 8x8
    x = b.conv(x, 40, 3, dilation=2)               # dilated
    side = b.avgpool(x, 2, 2)                      # 4x4 side branch: avgpool, gap, fc
    side = b.gap(side)
    b.fc(side, 12)
    feat = b.conv(x, 48, 3)
    emb = b.gap(feat)
    wl = rng.integers(-127, 128, size=(len(CLASSES), 48)).astype(np.int8)
    g.logits(emb, wl, np.full(len(CLASSES), 0.004, np.float32), rng.normal(0, 0.1, len(CLASSES)).astype(np.float32))
    data = g.to_bytes()
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(data)
    g2 = bcmodel.Graph.from_bytes(data)
    cases = bytearray(struct.pack("<III", a.cases, S, len(CLASSES)))
    for x_in in calib:
        logits = g2.run(x_in)
        assert np.array_equal(logits, g.run(x_in))
        cases += x_in.tobytes() + logits.astype("<f4").tobytes()
    base = a.out[:-4] if a.out.endswith(".bin") else a.out
    with open(base + "-cases.bin", "wb") as f:
        f.write(bytes(cases))
    print("wrote %s (%d bytes) and %s-cases.bin (%d cases); logits of case 0: %s"
          % (a.out, len(data), base, a.cases, np.array2string(g.run(calib[0]), precision=3)))


if __name__ == "__main__":
    main()
