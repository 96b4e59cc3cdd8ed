"""bcmodel.py - write and read bloodcell model files (models/FORMAT.md), and run them in NumPy.

    g = Graph(name, classes, input_size, mean, std, input_q=(scale, zp), temperature=1.0)
    v = g.value(h, w, c, scale, zp)                     # returns the value index (0 is the input)
    g.conv(inp, out, w_oihw_int8, w_scale, bias_i32, stride=1, pad=1, groups=1, clamp=(-128, 127))
    g.add(a, b, out, clamp); g.maxpool(...); g.avgpool(...); g.gap(inp, out, clamp); g.logits(inp, w, w_scale, bias_f)
    data = g.to_bytes();  g2 = Graph.from_bytes(data)
    data = g.to_bytes(coded=True)                       # version 3: weights entropy-coded (rANS), ~half the bytes
    logits = g.run(x_int8_hwc)                          # the engine's int8 math, bit for bit in float32

Weights are given OIHW (PyTorch order) and stored OHWI (the engine's order)."""
import struct
import zlib

import numpy as np

MAGIC = b"BCNN"
VERSION = 3             # the newest; to_bytes() writes version 1 (no sub-classes) or 2, to_bytes(coded=True) version 3
RANS_BITS = 14          # version 3: symbol frequencies sum to 1 << RANS_BITS
RANS_L = 1 << 23        # the rANS state lives in [RANS_L, RANS_L << 8); it starts and ends at RANS_L
CONV, ADD, MAXPOOL, AVGPOOL, GAP, FC, LOGITS = range(1, 8)
f32 = np.float32


def out_dim(n, k, s, d, pa, pb):
    span = (k - 1) * d + 1
    return (n + pa + pb - span) // s + 1


class Graph:
    def __init__(self, name, classes, input_size, mean, std, input_q, temperature=1.0, resize_mode=0, subclasses=()):
        self.name, self.classes, self.input_size = name, list(classes), int(input_size)
        # version 2: [(parent class index, id)] in class order; the LOGITS rows are the classes, then these
        self.subclasses = [(int(p), str(n)) for p, n in subclasses]
        self.resize_mode = int(resize_mode)   # models/FORMAT.md: 0 centre crop, 1 scale-aware framing
        self.mean, self.std, self.temperature = [float(x) for x in mean], [float(x) for x in std], float(temperature)
        self.values = []  # (h, w, c, scale, zp)
        self.ops = []     # dicts
        self.value(input_size, input_size, 3, *input_q)

    # ---- building -------------------------------------------------------------------------
    def value(self, h, w, c, scale, zp):
        self.values.append((int(h), int(w), int(c), float(f32(scale)), int(zp)))
        return len(self.values) - 1

    def conv(self, inp, out, w, w_scale, bias, stride=1, pad=0, groups=1, dilation=1, clamp=(-128, 127)):
        sh, sw = (stride, stride) if np.isscalar(stride) else stride
        pt, pl, pb, pr = (pad,) * 4 if np.isscalar(pad) else pad
        self.ops.append(dict(type=CONV, input=inp, output=out, w=np.asarray(w, np.int8), w_scale=np.asarray(w_scale, f32),
                             bias=np.asarray(bias, np.int32), kh=w.shape[2], kw=w.shape[3], sh=sh, sw=sw,
                             dh=dilation, dw=dilation, pad=(pt, pl, pb, pr), groups=groups, clamp=clamp))

    def add(self, a, b, out, clamp=(-128, 127)):
        self.ops.append(dict(type=ADD, a=a, b=b, output=out, clamp=clamp))

    def maxpool(self, inp, out, k, stride, pad=0):
        pad = (pad,) * 4 if np.isscalar(pad) else pad
        self.ops.append(dict(type=MAXPOOL, input=inp, output=out, kh=k, kw=k, sh=stride, sw=stride, pad=pad))

    def avgpool(self, inp, out, k, stride, pad=0, clamp=(-128, 127)):
        pad = (pad,) * 4 if np.isscalar(pad) else pad
        self.ops.append(dict(type=AVGPOOL, input=inp, output=out, kh=k, kw=k, sh=stride, sw=stride, pad=pad, clamp=clamp))

    def gap(self, inp, out, clamp=(-128, 127)):
        self.ops.append(dict(type=GAP, input=inp, output=out, clamp=clamp))

    def fc(self, inp, out, w, w_scale, bias, clamp=(-128, 127)):
        self.ops.append(dict(type=FC, input=inp, output=out, w=np.asarray(w, np.int8), w_scale=np.asarray(w_scale, f32),
                             bias=np.asarray(bias, np.int32), clamp=clamp))

    def logits(self, inp, w, w_scale, bias):
        self.ops.append(dict(type=LOGITS, input=inp, w=np.asarray(w, np.int8), w_scale=np.asarray(w_scale, f32),
                             bias=np.asarray(bias, f32)))

    # ---- serialising ----------------------------------------------------------------------
    def to_bytes(self, coded=None):
        """The model file. coded=True: version 3, every weight array entropy-coded; None: the version
        this graph was read as (3 if read from a version 3 file), else 1 or 2."""
        coded = getattr(self, "coded", False) if coded is None else coded
        b = bytearray()
        u32 = lambda *xs: b.extend(struct.pack("<%dI" % len(xs), *xs))
        i32 = lambda *xs: b.extend(struct.pack("<%di" % len(xs), *xs))
        f32s = lambda xs: b.extend(np.asarray(xs, "<f4").tobytes())

        def i8(a):
            if coded:
                b.extend(rans_encode(np.ascontiguousarray(a, np.int8).reshape(-1)))
                return
            raw = np.ascontiguousarray(a, np.int8).tobytes()
            b.extend(raw + b"\0" * (-len(raw) % 4))

        name = self.name.encode("ascii")
        u32(len(name)); b.extend(name)
        u32(len(self.classes))
        for c in self.classes:
            u32(len(c)); b.extend(c.encode("ascii"))
        if self.subclasses or coded:
            u32(len(self.subclasses))
            for p, n in self.subclasses:
                u32(p, len(n)); b.extend(n.encode("ascii"))
        u32(self.input_size, self.resize_mode)
        f32s(self.mean); f32s(self.std); f32s([self.temperature])
        u32(len(self.values))
        for h, w, c, s, z in self.values:
            u32(h, w, c); f32s([s]); i32(z)
        u32(len(self.ops))
        for op in self.ops:
            t = op["type"]
            u32(t)
            if t == CONV:
                u32(op["input"], op["output"], op["kh"], op["kw"], op["sh"], op["sw"], op["dh"], op["dw"], *op["pad"], op["groups"])
                i32(*op["clamp"])
                i8(op["w"].transpose(0, 2, 3, 1))  # OIHW -> OHWI
                f32s(op["w_scale"]); i32(*op["bias"].tolist())
            elif t == ADD:
                u32(op["a"], op["b"], op["output"]); i32(*op["clamp"])
            elif t in (MAXPOOL, AVGPOOL):
                u32(op["input"], op["output"], op["kh"], op["kw"], op["sh"], op["sw"], *op["pad"])
                if t == AVGPOOL:
                    i32(*op["clamp"])
            elif t == GAP:
                u32(op["input"], op["output"]); i32(*op["clamp"])
            elif t == FC:
                u32(op["input"], op["output"]); i32(*op["clamp"])
                i8(op["w"]); f32s(op["w_scale"]); i32(*op["bias"].tolist())
            elif t == LOGITS:
                u32(op["input"]); i8(op["w"]); f32s(op["w_scale"]); f32s(op["bias"])
        body = bytes(b)
        size = 16 + len(body)
        version = 3 if coded else 2 if self.subclasses else 1
        return MAGIC + struct.pack("<III", version, size, zlib.crc32(body) & 0xFFFFFFFF) + body

    # ---- reference execution --------------------------------------------------------------
    def run(self, x, return_values=False):
        """x: int8 HxWx3 (the preprocessed input). Returns float32 logits (and all values)."""
        vals = [None] * len(self.values)
        vals[0] = np.asarray(x, np.int8)
        for op in self.ops:
            if op["type"] == LOGITS:
                logits = self.logits_of(op, vals)
                return (logits, vals) if return_values else logits
            vals[op["output"]] = self.exec_op(op, vals)
        raise ValueError("graph has no LOGITS op")

    def logits_of(self, op, vals):
        h, w, c, s, z = self.values[op["input"]]
        xin = vals[op["input"]].reshape(-1).astype(np.int32) - z
        acc = op["w"].astype(np.int32) @ xin
        return ((f32(s) * op["w_scale"]).astype(f32) * acc.astype(f32) + op["bias"]).astype(f32)

    def exec_op(self, op, vals):
        """One non-LOGITS op on the int8 values computed so far; returns its int8 output."""
        t = op["type"]
        oh, ow, oc, os_, oz = self.values[op["output"]]
        lo, hi = op.get("clamp", (-128, 127))
        if t in (CONV, FC):
            ih, iw, ic, is_, iz = self.values[op["input"]]
            xin = vals[op["input"]].astype(np.int32)
            if t == FC:
                acc = (op["w"].astype(np.int32) @ (xin.reshape(-1) - iz) + op["bias"]).reshape(1, 1, -1)
            else:
                acc = _conv_acc(xin, iz, op)
            return _requant(acc, (f32(is_) * op["w_scale"] / f32(os_)).astype(f32), oz, lo, hi)
        if t == ADD:
            _, _, _, sa, za = self.values[op["a"]]
            _, _, _, sb, zb = self.values[op["b"]]
            fa, fb = f32(f32(sa) / f32(os_)), f32(f32(sb) / f32(os_))
            f = ((vals[op["a"]].astype(np.int32) - za).astype(f32) * fa +
                 (vals[op["b"]].astype(np.int32) - zb).astype(f32) * fb).astype(f32)
            return _round_clamp(f, oz, lo, hi)
        if t in (MAXPOOL, AVGPOOL):
            ih, iw, ic, is_, iz = self.values[op["input"]]
            pt, pl, pb, pr = op["pad"]
            xp = np.full((ih + pt + pb, iw + pl + pr, ic), -128 if t == MAXPOOL else iz, np.int32)
            xp[pt:pt + ih, pl:pl + iw] = vals[op["input"]]
            wins = [xp[ky:ky + op["sh"] * (oh - 1) + 1:op["sh"], kx:kx + op["sw"] * (ow - 1) + 1:op["sw"]]
                    for ky in range(op["kh"]) for kx in range(op["kw"])]
            if t == MAXPOOL:
                return np.max(wins, axis=0).astype(np.int8)
            ks = op["kh"] * op["kw"]
            acc = np.sum(wins, axis=0, dtype=np.int32) - ks * iz
            return _requant(acc, f32(f32(is_) / (f32(os_) * f32(ks))), oz, lo, hi)
        if t == GAP:
            ih, iw, ic, is_, iz = self.values[op["input"]]
            rows = ih * iw
            acc = vals[op["input"]].reshape(rows, ic).astype(np.int32).sum(0) - rows * iz
            return _requant(acc.reshape(1, 1, ic), f32(f32(is_) / (f32(os_) * f32(rows))), oz, lo, hi)
        raise ValueError("bad op type %r" % t)

    @staticmethod
    def from_bytes(data):
        r = _Reader(data)
        if r.take(4) != MAGIC:
            raise ValueError("bad magic")
        version, size, crc = r.u32(3)
        if not 1 <= version <= VERSION or size != len(data) or zlib.crc32(data[16:]) & 0xFFFFFFFF != crc:
            raise ValueError("bad header")
        name = r.take(r.u32()).decode()
        classes = [r.take(r.u32()).decode() for _ in range(r.u32())]
        subclasses = []
        if version >= 2:
            for _ in range(r.u32()):
                p = r.u32()
                subclasses.append((p, r.take(r.u32()).decode()))
        size_, mode = r.u32(2)
        mean, std, (temp,) = r.f32(3), r.f32(3), r.f32(1)
        nv = r.u32()
        values = []
        for _ in range(nv):
            h, w, c = r.u32(3); (s,) = r.f32(1); (z,) = r.i32(1)
            values.append((h, w, c, float(s), z))
        g = Graph(name, classes, size_, mean, std, values[0][3:], float(temp), resize_mode=mode, subclasses=subclasses)
        g.values = values
        g.coded = r.coded = version >= 3
        for _ in range(r.u32()):
            t = r.u32()
            if t == CONV:
                inp, out, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups = r.u32(13)
                clamp = tuple(r.i32(2))
                oc, ic = values[out][2], values[inp][2] // groups
                w = r.i8(oc * kh * kw * ic).reshape(oc, kh, kw, ic).transpose(0, 3, 1, 2)
                g.ops.append(dict(type=CONV, input=inp, output=out, w=w, w_scale=r.f32(oc), bias=r.i32(oc), kh=kh, kw=kw,
                                  sh=sh, sw=sw, dh=dh, dw=dw, pad=(pt, pl, pb, pr), groups=groups, clamp=clamp))
            elif t == ADD:
                a, b, out = r.u32(3)
                g.ops.append(dict(type=ADD, a=a, b=b, output=out, clamp=tuple(r.i32(2))))
            elif t in (MAXPOOL, AVGPOOL):
                inp, out, kh, kw, sh, sw, *pad = r.u32(10)
                op = dict(type=t, input=inp, output=out, kh=kh, kw=kw, sh=sh, sw=sw, pad=tuple(pad))
                if t == AVGPOOL:
                    op["clamp"] = tuple(r.i32(2))
                g.ops.append(op)
            elif t == GAP:
                inp, out = r.u32(2)
                g.ops.append(dict(type=GAP, input=inp, output=out, clamp=tuple(r.i32(2))))
            elif t == FC:
                inp, out = r.u32(2); clamp = tuple(r.i32(2))
                oc, ic = values[out][2], values[inp][2]
                g.ops.append(dict(type=FC, input=inp, output=out, clamp=clamp, w=r.i8(oc * ic).reshape(oc, ic),
                                  w_scale=r.f32(oc), bias=r.i32(oc)))
            elif t == LOGITS:
                inp = r.u32(); k, ic = len(classes) + len(subclasses), values[inp][2]
                g.ops.append(dict(type=LOGITS, input=inp, w=r.i8(k * ic).reshape(k, ic), w_scale=r.f32(k), bias=r.f32(k)))
            else:
                raise ValueError("bad op type %d" % t)
        return g


def _conv_acc(x, zp, op):
    """int32 accumulators of a (grouped) convolution, padding with the input zero point.
    The products are summed as float64 (BLAS): exact, since |sum| < 2^53 for any int8 layer."""
    ih, iw, ic = x.shape
    pt, pl, pb, pr = op["pad"]
    kh, kw, sh, sw, dh, dw, groups = op["kh"], op["kw"], op["sh"], op["sw"], op["dh"], op["dw"], op["groups"]
    w = op["w"].astype(np.float64)  # O, I/g, kh, kw
    oc = w.shape[0]
    oh, ow = out_dim(ih, kh, sh, dh, pt, pb), out_dim(iw, kw, sw, dw, pl, pr)
    xp = np.zeros((ih + pt + pb, iw + pl + pr, ic), np.float64)
    xp[pt:pt + ih, pl:pl + iw] = x - zp
    gin, gout = ic // groups, oc // groups
    # im2col per group: (oh*ow, kh*kw*gin) @ (kh*kw*gin, gout)
    acc = np.zeros((oh * ow, oc), np.float64)
    for g in range(groups):
        cols = np.empty((oh, ow, kh, kw, gin), np.float64)
        for ky in range(kh):
            for kx in range(kw):
                cols[:, :, ky, kx] = xp[ky * dh:ky * dh + sh * (oh - 1) + 1:sh,
                                        kx * dw:kx * dw + sw * (ow - 1) + 1:sw, g * gin:(g + 1) * gin]
        wg = w[g * gout:(g + 1) * gout].transpose(2, 3, 1, 0).reshape(kh * kw * gin, gout)
        acc[:, g * gout:(g + 1) * gout] = cols.reshape(oh * ow, -1) @ wg
    return (acc.reshape(oh, ow, oc).astype(np.int64) + op["bias"]).astype(np.int32)


def _round_clamp(f, zp, lo, hi):
    f = np.minimum(np.maximum(f, f32(lo - zp)), f32(hi - zp))
    return (np.rint(f).astype(np.int32) + zp).astype(np.int8)


def _requant(acc, scale, zp, lo, hi):
    return _round_clamp((acc.astype(f32) * scale).astype(f32), zp, lo, hi)


class _Reader:
    def __init__(self, data):
        self.d, self.o = data, 0

    def take(self, n):
        s = self.d[self.o:self.o + n]
        if len(s) != n:
            raise ValueError("truncated")
        self.o += n
        return s

    def u32(self, n=None):
        v = struct.unpack("<%dI" % (n or 1), self.take(4 * (n or 1)))
        return v[0] if n is None else list(v)

    def i32(self, n):
        return np.frombuffer(self.take(4 * n), "<i4").astype(np.int32)

    def f32(self, n):
        return np.frombuffer(self.take(4 * n), "<f4").astype(f32)

    def i8(self, n):
        if getattr(self, "coded", False):
            a, used = rans_decode(self.d, self.o, n)
            self.o += used
            return a
        a = np.frombuffer(self.take(n + (-n % 4)), np.int8)[:n].copy()
        return a


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def rans_frequencies(counts):
    """Symbol counts (all > 0) -> frequencies summing to 1 << RANS_BITS, each at least 1: proportional,
    rounded down, then the rounding error given to (or taken from) the commonest symbols."""
    total, M = int(sum(counts)), 1 << RANS_BITS
    freq = [max(1, c * M // total) for c in counts]
    order = sorted(range(len(freq)), key=lambda i: -counts[i])
    k = 0
    while sum(freq) != M:
        i = order[k % len(order)]
        if sum(freq) < M:
            freq[i] += 1
        elif freq[i] > 1:
            freq[i] -= 1
        k += 1
    return freq


def rans_encode(a):
    """One int8 weight array as a version 3 coded block (FORMAT.md): u32 stream bytes B, u32 symbol
    count A, i8 symbols[A] (increasing, padded to 4 bytes), u16 freq[A] (padded), the rANS stream (padded)."""
    a = np.asarray(a, np.int8).reshape(-1)
    symbols, counts = np.unique(a, return_counts=True)
    symbols, counts = (symbols.tolist(), counts.tolist()) if a.size else ([0], [1])
    freq = rans_frequencies(counts)
    index = {v: i for i, v in enumerate(symbols)}
    cum = [0] * len(freq)
    for i in range(1, len(freq)):
        cum[i] = cum[i - 1] + freq[i - 1]
    out = bytearray()
    x = RANS_L
    bound = [((RANS_L >> RANS_BITS) << 8) * f for f in freq]
    for v in a[::-1].tolist():             # rANS is last in, first out: encode backwards
        s = index[v]
        f = freq[s]
        while x >= bound[s]:
            out.append(x & 0xFF)
            x >>= 8
        x = ((x // f) << RANS_BITS) + (x % f) + cum[s]
    out += struct.pack(">I", x)            # read back first, little-endian, once the bytes are reversed
    stream = bytes(out[::-1])
    return (struct.pack("<II", len(stream), len(freq)) + _pad4(struct.pack("<%db" % len(symbols), *symbols)) +
            _pad4(struct.pack("<%dH" % len(freq), *freq)) + _pad4(stream))


def rans_decode(d, o, n):
    """The n weights of the coded block at d[o:]; returns (int8 array, bytes used). The checks of
    src/model.c: symbols increasing, frequencies >= 1 summing to 1 << RANS_BITS, the state starting in
    [RANS_L, RANS_L << 8), the stream used exactly and the state ending at RANS_L."""
    B, A = struct.unpack_from("<II", d, o)
    if not 1 <= A <= 256:
        raise ValueError("coded weights: symbol count %d outside 1..256" % A)
    o1 = o + 8
    symbols = list(struct.unpack_from("<%db" % A, d, o1)); o1 += A + (-A % 4)
    freq = list(struct.unpack_from("<%dH" % A, d, o1)); o1 += 2 * A + (-2 * A % 4)
    if any(b <= a for a, b in zip(symbols, symbols[1:])) or min(freq) < 1 or sum(freq) != 1 << RANS_BITS:
        raise ValueError("coded weights: bad symbol table")
    stream = d[o1:o1 + B]
    if len(stream) != B or B < 4:
        raise ValueError("coded weights: truncated stream")
    slot = bytearray(1 << RANS_BITS)
    cum = [0] * A
    for i in range(A):
        cum[i] = (cum[i - 1] + freq[i - 1]) if i else 0
        slot[cum[i]:cum[i] + freq[i]] = bytes([i]) * freq[i]
    value = bytes(v & 0xFF for v in symbols)
    mask = (1 << RANS_BITS) - 1
    x = int.from_bytes(stream[:4], "little")
    if not RANS_L <= x < RANS_L << 8:
        raise ValueError("coded weights: bad initial state")
    pos, out = 4, bytearray(n)
    for i in range(n):
        m = x & mask
        s = slot[m]
        out[i] = value[s]
        x = freq[s] * (x >> RANS_BITS) + m - cum[s]
        while x < RANS_L:
            if pos >= B:
                raise ValueError("coded weights: stream ends early")
            x = (x << 8) | stream[pos]
            pos += 1
    if pos != B or x != RANS_L:
        raise ValueError("coded weights: stream does not end where it should")
    return np.frombuffer(bytes(out), np.int8).copy(), (o1 - o) + B + (-B % 4)



def temperature_offset(data):
    """Byte offset of the f32 temperature field in a model file's bytes (header layout of FORMAT.md)."""
    (version,) = struct.unpack_from("<I", data, 4)
    o = 16
    (n,) = struct.unpack_from("<I", data, o); o += 4 + n             # model name
    (k,) = struct.unpack_from("<I", data, o); o += 4
    for _ in range(k):                                               # class ids
        (n,) = struct.unpack_from("<I", data, o); o += 4 + n
    if version >= 2:                                                 # sub-classes: parent, id
        (m,) = struct.unpack_from("<I", data, o); o += 4
        for _ in range(m):
            (n,) = struct.unpack_from("<I", data, o + 4); o += 8 + n
    return o + 4 + 4 + 12 + 12                                       # input size, resize mode, mean, std


def set_temperature(path, temperature, out_path=None):
    """Rewrites the softmax temperature of the model file at path (into out_path if given, else in
    place) and recomputes the header CRC-32; every other byte stays the same. Returns the new bytes."""
    import os
    t = float(f32(temperature))
    if not (0.05 <= t <= 20):
        raise ValueError("temperature %r outside 0.05..20" % temperature)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    Graph.from_bytes(bytes(data))  # validates magic, size and CRC before anything is changed
    struct.pack_into("<f", data, temperature_offset(data), t)
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data[16:])) & 0xFFFFFFFF)
    data = bytes(data)
    if Graph.from_bytes(data).temperature != t:
        raise AssertionError("temperature did not round-trip")
    tmp = (out_path or path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out_path or path)
    return data

def recode(src, dst, coded=True, card=None):
    """Re-writes the model file src as version 3 (coded=True) or as plain int8 (1 or 2) into dst; the
    graph and every weight stay the same (checked by decoding the result). With card (a model-card.json
    for src), its file size and sha256 follow, its Markdown twin too, and the old file's are kept."""
    import hashlib
    import json
    import os
    data = open(src, "rb").read()
    g = Graph.from_bytes(data)
    out = g.to_bytes(coded=coded)
    g2 = Graph.from_bytes(out)
    same = all(a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a) for a, b in zip(g.ops, g2.ops))
    if not same or len(g.ops) != len(g2.ops) or g2.to_bytes(coded=False) != g.to_bytes(coded=False):
        raise AssertionError("re-coded model differs from the original")
    with open(dst + ".tmp", "wb") as f:
        f.write(out)
    os.replace(dst + ".tmp", dst)
    print(f"{dst}: version {out[4]}, {len(out)} bytes (from version {data[4]}, {len(data)} bytes)")
    if card:
        c = json.load(open(card))
        m = c["model"]
        sha = hashlib.sha256(out).hexdigest()
        if m.get("sha256") == sha:
            return
        if m.get("sha256") != hashlib.sha256(data).hexdigest():
            raise ValueError(f"{card} describes another file than {src}")
        m["recoded"] = {"from_bytes": m["bytes"], "from_sha256": m["sha256"], "from_version": data[4], "version": out[4],
                        "note": "the same graph and weights in another file layout (scripts/model/bcmodel.py recode); "
                                "every figure in this card holds for both files"}
        m["bytes"], m["sha256"] = len(out), sha
        with open(card + ".tmp", "w") as f:
            json.dump(c, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(card + ".tmp", card)
        from model_card import render_markdown
        md = os.path.join(os.path.dirname(card), "MODEL_CARD.md")
        with open(md, "w") as f:
            f.write(render_markdown(c))
        print(f"{card} and {md}: bytes and sha256 updated")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="re-code a model file: version 3 (rANS-coded weights) or plain int8")
    ap.add_argument("cmd", choices=["recode"])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--plain", action="store_true", help="write version 1/2 (uncoded int8 weights)")
    ap.add_argument("--card", help="model-card.json of src: update its bytes and sha256 (and MODEL_CARD.md)")
    a = ap.parse_args()
    recode(a.src, a.dst, coded=not a.plain, card=a.card)
