"""Writes the committed seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/).

    /usr/bin/python3 scripts/fuzz/make_fuzz_corpus.py [TARGET...]   (numpy + Pillow 9.4; rewrites those folders,
                                                                   default all four)

image/     small JPEG/PNG/BMP files: a real PBC cell (fixture) downscaled, grey, grey+alpha, RGBA, palette (+tRNS),
           1-bit, 16-bit grey and RGB, Adam7-interlaced PNG, progressive, 4:2:0, greyscale and Adobe CMYK JPEG,
           restart-interval JPEG, BMP 1/4/8/16(565 bit fields)/24/32-bit, top-down and OS/2 headers,
           1x1, 16384x1 (the largest side accepted), 20000x1 (over the limit), truncated and damaged variants,
           a non-image and an empty file.
classify/  two full-size PBC cell JPEGs (fixtures) and a subset of image/ (the classify target runs a whole
           forward pass per input, so it starts from fewer, more typical seeds). The full-size JPEGs are not in
           image/: decoding one under ASan takes ~100x longer than a small seed and would dominate that target.
frame/     raw-pixel inputs for fuzz_frame's decoded-buffer path (a 4-byte shape header, then pixels: a real
           PBC field at 80x80 RGB, its cell at 60x60 RGBA, an 8x8 grey) and small JPEG/PNG/BMP fields and cells.
model/     the random-weights test model (tests/fixtures/random-model.bin) and tiny 16x16 models that use
           every op type, a truncated model and a model with a bad checksum.
Files named regress_* are inputs that once found a bug (docs/robustness.md); they are kept as they are.
Everything is deterministic (fixed seeds); the total stays under ~250 KB."""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "model"))
import bcmodel  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
FIX = os.path.join(ROOT, "tests", "fixtures")
rng = np.random.default_rng(6)


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pil_bytes(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def cell(size):
    """A real PBC cell (fixture), downscaled."""
    im = Image.open(os.path.join(FIX, "images", "neutrophil_BNE_101082.jpg")).convert("RGB")
    return im.resize((size, size), Image.BILINEAR)


def noise(w, h, mode="RGB"):
    c = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
    a = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
    return Image.fromarray(a[:, :, 0] if c == 1 else a, mode)


# ---- PNG, written by hand so every colour type / bit depth / interlace is possible -----------------
def png_chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def png(a, color_type, depth=8, interlace=0, extra=b"", palette=None):
    """a: HxWxC uint8/uint16 array of samples (already <= 2**depth - 1)."""
    h, w = a.shape[:2]
    a = a.reshape(h, w, -1)

    def raw_rows(img):
        hh, ww = img.shape[:2]
        out = b""
        for y in range(hh):
            row = img[y].reshape(-1)
            if depth == 16:
                bits = row.astype(">u2").tobytes()
            elif depth == 8:
                bits = row.astype(np.uint8).tobytes()
            else:
                bits = np.packbits(np.unpackbits(row.astype(np.uint8)[:, None], axis=1)[:, 8 - depth:].reshape(-1)).tobytes()
            out += b"\0"  # filter type 0
            out += bits
        return out

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
            sub = a[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += raw_rows(sub)
    else:
        raw = raw_rows(a)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, interlace)
    body = png_chunk(b"IHDR", ihdr)
    if palette is not None:
        body += png_chunk(b"PLTE", bytes(palette))
    body += extra + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


# ---- BMP, written by hand --------------------------------------------------------------------------
def bmp(w, h, bpp, pixel_rows, palette=b"", header=40, top_down=False, comp=0, masks=b""):
    stride = ((w * bpp + 31) // 32) * 4
    data = b"".join(r.ljust(stride, b"\0") for r in pixel_rows)
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bpp)
    else:
        info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, comp, len(data), 2835, 2835, 0, 0)
    off = 14 + len(info) + len(masks) + len(palette)
    return b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + masks + palette + data


def images():
    out = {}
    for name in ("cmyk_64x60.jpg", "grey_64x60.jpg", "rgb420_prog_101x99.jpg", "rgb555_35x38.bmp", "palette_37x41.bmp",
                 "grey_trnskey_36x43.png", "palette_trns_39x41.png", "rgb_1x1.png"):
        with open(os.path.join(FIX, "preprocess", name), "rb") as f:
            out["fixture_" + name] = f.read()
    c32 = cell(32)
    out["cell32_baseline444.jpg"] = pil_bytes(c32, "JPEG", quality=80, subsampling=0)
    out["cell32_progressive420.jpg"] = pil_bytes(c32, "JPEG", quality=70, progressive=True, subsampling=2)
    out["cell32_restart422.jpg"] = pil_bytes(c32, "JPEG", quality=60, subsampling=1, restart_marker_blocks=1)
    out["cell24_optimized.jpg"] = pil_bytes(cell(24), "JPEG", quality=90, optimize=True)
    out["grey_17x9.jpg"] = pil_bytes(noise(17, 9, "L"), "JPEG", quality=50)
    out["cmyk_12x10.jpg"] = pil_bytes(noise(12, 10, "RGB").convert("CMYK"), "JPEG", quality=50)
    out["rgb_1x1.jpg"] = pil_bytes(noise(1, 1), "JPEG")
    out["rgb_20000x1.jpg"] = pil_bytes(Image.new("RGB", (20000, 1), (200, 120, 180)), "JPEG", quality=20)
    out["rgb_16384x1.png"] = png(np.full((1, 16384, 3), 77, np.uint8), 2)
    out["rgb_20000x1.png"] = png(np.full((1, 20000, 3), 77, np.uint8), 2)
    out["rgb_1x1.bmp"] = bmp(1, 1, 24, [b"\x10\x20\x30"])
    a = np.asarray(cell(16))
    out["cell16_rgb.png"] = png(a, 2)
    out["cell16_rgb_adam7.png"] = png(a, 2, interlace=1)
    out["cell16_rgba.png"] = png(np.dstack([a, (np.arange(256).reshape(16, 16) % 256).astype(np.uint8)]), 6)
    g = a.mean(axis=2).astype(np.uint8)
    out["grey_16x16.png"] = png(g, 0)
    out["greyalpha_16x16.png"] = png(np.dstack([g, 255 - g]), 4)
    out["grey1bit_19x7.png"] = png((rng.integers(0, 2, (7, 19))).astype(np.uint8), 0, depth=1)
    out["grey4bit_9x9_adam7.png"] = png((rng.integers(0, 16, (9, 9))).astype(np.uint8), 0, depth=4, interlace=1)
    out["grey16_8x6.png"] = png(rng.integers(0, 65536, (6, 8)).astype(np.uint16), 0, depth=16)
    out["rgb16_7x5.png"] = png(rng.integers(0, 65536, (5, 7, 3)).astype(np.uint16), 2, depth=16)
    out["rgba16_5x5.png"] = png(rng.integers(0, 65536, (5, 5, 4)).astype(np.uint16), 6, depth=16)
    pal = rng.integers(0, 256, 4 * 3, dtype=np.uint8)
    out["palette2bit_tRNS_10x6.png"] = png(rng.integers(0, 4, (6, 10)).astype(np.uint8), 3, depth=2, palette=pal,
                                           extra=png_chunk(b"tRNS", b"\x00\x80"))
    out["rgb_trnskey_6x6.png"] = png(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8), 2,
                                     extra=png_chunk(b"tRNS", b"\x00\x10\x00\x20\x00\x30") + png_chunk(b"gAMA", struct.pack(">I", 45455)))
    # BMP variants
    rows = [bytes(rng.integers(0, 256, 3 * 5, dtype=np.uint8)) for _ in range(4)]
    out["bmp24_5x4.bmp"] = bmp(5, 4, 24, rows)
    out["bmp24_5x4_topdown.bmp"] = bmp(5, 4, 24, rows, top_down=True)
    out["bmp24_5x4_os2.bmp"] = bmp(5, 4, 24, rows, header=12)
    out["bmp32_4x3.bmp"] = bmp(4, 3, 32, [bytes(rng.integers(0, 256, 16, dtype=np.uint8)) for _ in range(3)])
    out["bmp16_565_4x3.bmp"] = bmp(4, 3, 16, [bytes(rng.integers(0, 256, 8, dtype=np.uint8)) for _ in range(3)], comp=3,
                                   masks=struct.pack("<III", 0xF800, 0x07E0, 0x001F))
    out["bmp8_pal_6x3.bmp"] = bmp(6, 3, 8, [bytes(rng.integers(0, 4, 6, dtype=np.uint8)) for _ in range(3)],
                                  palette=bytes(rng.integers(0, 256, 16, dtype=np.uint8)))
    out["bmp4_pal_7x2.bmp"] = bmp(7, 2, 4, [bytes(rng.integers(0, 256, 4, dtype=np.uint8)) for _ in range(2)],
                                  palette=bytes(rng.integers(0, 256, 64, dtype=np.uint8)))
    out["bmp1_9x3.bmp"] = bmp(9, 3, 1, [bytes(rng.integers(0, 256, 2, dtype=np.uint8)) for _ in range(3)],
                              palette=b"\0\0\0\0\xff\xff\xff\0")
    # damaged variants
    j = out["cell32_baseline444.jpg"]
    out["trunc_half.jpg"] = j[: len(j) // 2]
    out["trunc_no_eoi.jpg"] = j[:-2]
    p = out["cell16_rgb.png"]
    out["trunc_idat.png"] = p[: len(p) - 30]
    bad = bytearray(p)
    bad[60] ^= 0x40
    out["bad_crc.png"] = bytes(bad)
    out["trunc_pixels.bmp"] = out["bmp24_5x4.bmp"][:-7]
    out["not_an_image.txt"] = b"GIF89a this is not a supported image\n"
    out["empty"] = b""
    return out


def tiny_models():
    """16x16 models with random weights and arbitrary (uncalibrated) scales: small, so the model target runs fast."""
    classes = ["neutrophil", "eosinophil", "other"]
    models = {}

    def graph(name):
        return bcmodel.Graph(name, classes, 16, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], input_q=(0.03, -5), temperature=1.5)

    def w(*shape):
        return rng.integers(-127, 128, size=shape).astype(np.int8)

    def sc(n):
        return np.full(n, 0.002, np.float32)

    def b(n):
        return rng.integers(-300, 300, size=n).astype(np.int32)

    # conv -> gap -> logits
    g = graph("tiny-conv")
    v1 = g.value(8, 8, 8, 0.05, -3)
    g.conv(0, v1, w(8, 3, 3, 3), sc(8), b(8), stride=2, pad=1, clamp=(-3, 127))
    v2 = g.value(1, 1, 8, 0.05, -3)
    g.gap(v1, v2)
    g.logits(v2, w(3, 8), sc(3), np.zeros(3, np.float32))
    models["tiny_conv_gap.bin"] = g.to_bytes()
    models["tiny_conv_gap_v3.bin"] = g.to_bytes(coded=True)

    # every op: conv, depthwise, grouped + dilated, add, maxpool, avgpool, gap, fc, logits
    g = graph("tiny-all-ops")
    a = g.value(16, 16, 8, 0.05, 0)
    g.conv(0, a, w(8, 3, 3, 3), sc(8), b(8), pad=1)
    d = g.value(16, 16, 8, 0.05, 0)
    g.conv(a, d, w(8, 1, 3, 3), sc(8), b(8), pad=1, groups=8, clamp=(0, 120))
    s = g.value(16, 16, 8, 0.06, 2)
    g.add(a, d, s)
    gr = g.value(16, 16, 12, 0.05, 1)
    g.conv(s, gr, w(12, 4, 3, 3), sc(12), b(12), pad=2, groups=2, dilation=2)
    mp = g.value(8, 8, 12, 0.05, 1)
    g.maxpool(gr, mp, 3, 2, pad=(1, 1, 0, 0))
    ap = g.value(4, 4, 12, 0.04, -1)
    g.avgpool(mp, ap, 2, 2)
    gp = g.value(1, 1, 12, 0.04, -1)
    g.gap(ap, gp)
    fc = g.value(1, 1, 6, 0.05, 0)
    g.fc(gp, fc, w(6, 12), sc(6), b(6))
    gp2 = g.value(1, 1, 12, 0.05, 1)
    g.gap(mp, gp2)
    g.logits(gp2, w(3, 12), sc(3), np.array([0.1, -0.2, 0.0], np.float32))
    models["tiny_all_ops.bin"] = g.to_bytes()
    # format version 3: the same graph with rANS-coded weights, and one whose first weight
    # stream has a flipped byte (the fuzzer recomputes the checksum, so it reaches the decoder)
    models["tiny_all_ops_v3.bin"] = v3 = g.to_bytes(coded=True)
    o = v3.index(b"tiny-all-ops") + 400
    models["tiny_all_ops_v3_bad_stream.bin"] = v3[:o] + bytes([v3[o] ^ 0x10]) + v3[o + 1:]

    # regression inputs for the model.h working-memory limits: tiny files whose shapes ask for
    # 41 x 16.8 MB of activations (688 MB, allocated by the engine before the limit existed) ...
    g = graph("limit-activations")
    g.input_size = 512
    g.values[0] = (512, 512, 3, g.values[0][3], g.values[0][4])
    prev = g.value(512, 512, 64, 0.05, 0)
    g.conv(0, prev, w(64, 3, 1, 1), sc(64), b(64))
    for _ in range(40):
        nxt = g.value(512, 512, 64, 0.05, 0)
        g.maxpool(prev, nxt, 1, 1)
        prev = nxt
    gp = g.value(1, 1, 64, 0.05, 0)
    g.gap(prev, gp)
    g.logits(gp, w(3, 64), sc(3), np.zeros(3, np.float32))
    models["limit_activations.bin"] = g.to_bytes()
    # ... and a 16x16 max pool over a 512x512 map: 71 M indirection pointers (570 MB)
    g = graph("limit-indirection")
    g.input_size = 512
    g.values[0] = (512, 512, 3, g.values[0][3], g.values[0][4])
    mp = g.value(529, 529, 3, g.values[0][3], g.values[0][4])
    g.maxpool(0, mp, 16, 1, pad=16)
    gp = g.value(1, 1, 3, 0.05, 0)
    g.gap(mp, gp)
    g.logits(gp, w(3, 3), sc(3), np.zeros(3, np.float32))
    models["limit_indirection.bin"] = g.to_bytes()

    # ... and 100 strided 1x1 convs reading one 512x512x64 map: each keeps a 33.5 MB int16 copy of it (3.4 GB)
    g = graph("limit-int16-copies")
    g.input_size = 512
    g.values[0] = (512, 512, 3, g.values[0][3], g.values[0][4])
    big = g.value(512, 512, 64, 0.05, 0)
    g.conv(0, big, w(64, 3, 1, 1), sc(64), b(64))
    outs = []
    for _ in range(100):
        o = g.value(32, 32, 1, 0.05, 0)
        g.conv(big, o, w(1, 64, 1, 1), sc(1), b(1), stride=16)
        outs.append(o)
    gp = g.value(1, 1, 1, 0.05, 0)
    g.gap(outs[0], gp)
    g.logits(gp, w(3, 1), sc(3), np.zeros(3, np.float32))
    models["limit_int16_copies.bin"] = g.to_bytes()

    full = models["tiny_all_ops.bin"]
    models["tiny_truncated.bin"] = full[: len(full) - 9]
    bad = bytearray(full)
    bad[40] ^= 1
    models["tiny_bad_crc.bin"] = bytes(bad)
    return models


def raw_pixels(img, box_byte=0x40):
    """fuzz_frame's decoded-buffer input: w-1 and h-1 as 10 bits (8 in bytes 0/1, 2 in byte 2), channels-1 in
    bits 4-5 of byte 2, then a byte for the box, then the pixels."""
    a = np.asarray(img)
    h, w = a.shape[:2]
    ch = 1 if a.ndim == 2 else a.shape[2]
    b2 = ((w - 1) & 3) | (((h - 1) & 3) << 2) | ((ch - 1) << 4)
    return bytes([(w - 1) >> 2, (h - 1) >> 2, b2, box_byte]) + a.tobytes()


def frame_seeds(imgs):
    field = Image.open(os.path.join(FIX, "images", "neutrophil_BNE_101082.jpg")).convert("RGB")
    seeds = {
        "raw_field_80x80_rgb.bin": raw_pixels(field.resize((80, 80), Image.BILINEAR)),
        "raw_cell_60x60_rgba.bin": raw_pixels(field.crop((120, 150, 235, 265)).resize((60, 60), Image.BILINEAR)
                                              .convert("RGBA")),
        "raw_grey_8x8.bin": raw_pixels(field.resize((8, 8), Image.BILINEAR).convert("L")),
        "field100.jpg": pil_bytes(field.resize((100, 100), Image.BILINEAR), "JPEG", quality=80),
        "field64.png": pil_bytes(field.resize((64, 64), Image.BILINEAR), "PNG"),
        "cell48.jpg": pil_bytes(cell(48), "JPEG", quality=85),
    }
    for name in ("cell32_baseline444.jpg", "cell16_rgba.png", "grey_16x16.png", "bmp24_5x4.bmp", "rgb_1x1.bmp",
                 "rgb_16384x1.png", "trunc_half.jpg"):
        seeds[name] = imgs[name]
    return seeds


def main():
    targets = sys.argv[1:] or ["image", "classify", "model", "frame"]
    for t in targets:  # regenerate, keeping the regression inputs (regress_*)
        d = os.path.join(OUT, t)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if not name.startswith("regress_"):
                os.remove(os.path.join(d, name))
    imgs = images()
    if "image" in targets:
        for name, data in imgs.items():
            write("image", name, data)
    if "classify" in targets:
        for name in ("neutrophil_BNE_101082.jpg", "platelet_PLATELET_101132.jpg"):
            with open(os.path.join(FIX, "images", name), "rb") as f:
                write("classify", "pbc_" + name, f.read())
        for name in ("cell32_baseline444.jpg", "cell32_progressive420.jpg",
                     "fixture_cmyk_64x60.jpg", "cell16_rgba.png", "grey16_8x6.png", "bmp24_5x4.bmp", "rgb_1x1.bmp",
                     "rgb_16384x1.png", "trunc_half.jpg", "bad_crc.png"):
            write("classify", name, imgs[name])
        for size in (20, 48):
            write("classify", "cell%d.jpg" % size, pil_bytes(cell(size), "JPEG", quality=85))
    if "model" in targets:
        with open(os.path.join(FIX, "random-model.bin"), "rb") as f:
            write("model", "random-model.bin", f.read())
        for name, data in tiny_models().items():
            write("model", name, data)
    if "frame" in targets:
        for name, data in frame_seeds(imgs).items():
            write("frame", name, data)
    total = 0
    for t in targets:
        d = os.path.join(OUT, t)
        n = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
        total += n
        print("%-9s %3d files %7d bytes" % (t, len(os.listdir(d)), n))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
