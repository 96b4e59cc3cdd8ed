#!/usr/bin/python3
"""Regenerate tests/fixtures/preprocess/: small images and what PIL (the training pipeline) makes of them.

Run with the system python (numpy + Pillow 9.4):  /usr/bin/python3 scripts/make_preprocess_fixtures.py

The expected outputs come from scripts/pbc_data.py:load_cell_image, the training pipeline's reference:
  decode -> RGBA/LA/palette-with-transparency composited over white, round((c*a + 255*(255-a))/255);
  other modes .convert('RGB') (a tRNS colour key on L/RGB is ignored) -> centre square crop
  (m = min(W,H), x0 = (W-m)//2, y0 = (H-m)//2) -> .resize((S,S), Image.BILINEAR) -> uint8 HWC RGB,
  then q = clamp(rint((u/255 - mean)/std / scale) + zp, -128, 127) in float64 (mean/std/scale as float32).
The one exception is 16-bit greyscale PNG (compare kind "highbyte"), see reference_rgb_highbyte.

Outputs (all raw, row-major, no header; listed in manifest.tsv, which the C test reads):
  <image>.s<S>.u8   S*S*3 uint8 RGB expected from reference_rgb()
  <image>.s<S>.i8   S*S*3 int8 tensor for the quantization config in manifest.tsv (one image only)
"""
import io
import os
import shutil
import struct
import sys
import zlib

import numpy as np
from PIL import Image

import PIL

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbc_data  # noqa: E402  (the reference preprocessing, load_cell_image)
assert PIL.__version__.startswith("9.4"), "fixtures are defined by Pillow 9.4 (found %s)" % PIL.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "preprocess")
PBC = "/work/shared/data/pbc"

# quantization config used for the .i8 tensors (ImageNet-style values; float32 like the C config)
QMEAN = (0.485, 0.456, 0.406)
QSTD = (0.229, 0.224, 0.225)
QSCALE = 0.018658
QZP = -14


def reference_rgb(data, size):
    """bytes -> S x S x 3 uint8: the training pipeline's own function (scripts/pbc_data.py)."""
    return pbc_data.load_cell_image(data, size)


def reference_rgb_highbyte(data, size):
    """For 16-bit greyscale PNGs only: PIL opens them in mode I and convert('RGB') clips every value above
    255 (the image turns white). stb, and this reference, keep the high byte instead."""
    im = Image.open(io.BytesIO(data))
    im.load()
    assert im.mode in ("I", "I;16", "I;16B"), im.mode
    g = Image.fromarray((np.asarray(im, dtype=np.uint32) >> 8).astype(np.uint8), "L").convert("RGB")
    w, h = g.size
    m = min(w, h)
    x0, y0 = (w - m) // 2, (h - m) // 2
    return np.asarray(g.crop((x0, y0, x0 + m, y0 + m)).resize((size, size), Image.BILINEAR), dtype=np.uint8)


def quantize(rgb):
    mean = np.array(QMEAN, np.float32).astype(np.float64)
    std = np.array(QSTD, np.float32).astype(np.float64)
    scale = float(np.float32(QSCALE))
    x = (rgb.astype(np.float64) / 255.0 - mean) / std
    q = np.rint(x / scale) + QZP
    return np.clip(q, -128, 127).astype(np.int8)


def png_chunk(tag, payload):
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)


def png16(arr, color_type):
    """Minimal 16-bit PNG writer (Pillow cannot save 16-bit RGB)."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")


def bmp16(arr5):
    """Minimal 16-bit BI_RGB (5-5-5) BMP writer (Pillow cannot save one); arr5: h x w x 3 values 0..31."""
    h, w = arr5.shape[:2]
    v = (arr5[..., 0].astype(np.uint16) << 10) | (arr5[..., 1].astype(np.uint16) << 5) | arr5[..., 2].astype(np.uint16)
    stride = (w * 2 + 3) // 4 * 4
    rows = b"".join(v[y].astype("<u2").tobytes().ljust(stride, b"\0") for y in range(h - 1, -1, -1))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 0, len(rows), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(rows), 0, 0, 54) + info + rows


def pil_bytes(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def smooth_rgb(rng, w, h, noise):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for c in range(3):
        fx, fy, ph = rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3), rng.uniform(0, 6.28)
        v = 127.5 + 100 * np.sin(fx * x + ph) * np.cos(fy * y - ph) + rng.normal(0, noise, (h, w))
        chans.append(v)
    return np.clip(np.stack(chans, -1), 0, 255).round().astype(np.uint8)


def main():
    rng = np.random.default_rng(20240601)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    images = []  # (file name, bytes, sizes, kind, note)

    # synthetic RGB (lossless PNG: stb and PIL decode identically, so the resize must match exactly)
    images.append(("rgb_37x41.png", pil_bytes(Image.fromarray(rng.integers(0, 256, (41, 37, 3), dtype=np.uint8)), "PNG"),
                   (96, 128), "exact", "uniform noise, odd size, upscaled"))
    images.append(("rgb_360x363.png", pil_bytes(Image.fromarray(smooth_rgb(rng, 360, 363, 3)), "PNG"),
                   (96, 128), "exact", "PBC-sized pattern + noise, downscaled"))
    images.append(("rgb_20x10.png", pil_bytes(Image.fromarray(rng.integers(0, 256, (10, 20, 3), dtype=np.uint8)), "PNG"),
                   (96, 128), "exact", "wide, 10x10 crop at x0=5, upscaled"))
    images.append(("rgb_300x97.png", pil_bytes(Image.fromarray(smooth_rgb(rng, 300, 97, 30)), "PNG"),
                   (96, 128), "exact", "wide, crop x0=101, near-identity and upscale"))
    images.append(("rgb_1x1.png", pil_bytes(Image.fromarray(np.array([[[12, 200, 99]]], np.uint8)), "PNG"),
                   (96, 128), "exact", "single pixel"))

    # colour types and formats (S = 32)
    g = smooth_rgb(rng, 45, 40, 20)[..., 0]
    images.append(("grey_45x40.png", pil_bytes(Image.fromarray(g, "L"), "PNG"), (32,), "exact", "8-bit greyscale"))
    la = np.stack([smooth_rgb(rng, 40, 45, 20)[..., 1], rng.integers(0, 256, (45, 40), dtype=np.uint8)], -1)
    images.append(("greyalpha_40x45.png", pil_bytes(Image.fromarray(la, "LA"), "PNG"), (32,), "exact", "grey+alpha over white"))
    rgba = np.concatenate([smooth_rgb(rng, 50, 50, 20), rng.integers(0, 256, (50, 50, 1), dtype=np.uint8)], -1)
    rgba[:10, :, 3] = 0
    rgba[-10:, :, 3] = 255
    images.append(("rgba_50x50.png", pil_bytes(Image.fromarray(rgba, "RGBA"), "PNG"), (32,), "exact", "RGBA over white"))
    rgb16 = smooth_rgb(rng, 33, 35, 10).astype(np.uint16) * 257 + rng.integers(0, 257, (35, 33, 3)).astype(np.uint16)
    images.append(("rgb16_33x35.png", png16(rgb16, 2), (32,), "exact", "16-bit RGB (high byte)"))
    g16 = smooth_rgb(rng, 35, 33, 10)[..., 2].astype(np.uint16) * 257 + 100
    images.append(("grey16_35x33.png", png16(g16, 0), (32,), "highbyte",
                   "16-bit grey: high byte (load_cell_image would clip it to white, see README)"))
    ck = Image.fromarray(smooth_rgb(rng, 43, 36, 3) // 16 * 16)
    key = tuple(int(v) for v in np.asarray(ck)[18, 20])  # a colour that occurs
    images.append(("rgb_trnskey_43x36.png", pil_bytes(ck, "PNG", transparency=key), (32,), "exact",
                   "RGB with a tRNS colour key: ignored, as convert('RGB') ignores it"))
    lk = Image.fromarray(smooth_rgb(rng, 36, 43, 3)[..., 0] // 16 * 16, "L")
    images.append(("grey_trnskey_36x43.png", pil_bytes(lk, "PNG", transparency=64), (32,), "exact",
                   "grey with a tRNS colour key: ignored"))
    pal = Image.fromarray(smooth_rgb(rng, 41, 39, 5)).quantize(colors=50)
    images.append(("palette_41x39.png", pil_bytes(pal, "PNG"), (32,), "exact", "palette"))
    palt = Image.fromarray(smooth_rgb(rng, 39, 41, 5)).quantize(colors=40)
    trns = bytes(int(v) for v in rng.integers(0, 256, 40))
    images.append(("palette_trns_39x41.png", pil_bytes(palt, "PNG", transparency=trns), (32,), "exact",
                   "palette with tRNS alpha, over white"))
    images.append(("rgb_41x37.bmp", pil_bytes(Image.fromarray(smooth_rgb(rng, 41, 37, 20)), "BMP"), (32,), "exact", "24-bit BMP"))
    images.append(("palette_37x41.bmp", pil_bytes(Image.fromarray(smooth_rgb(rng, 37, 41, 5)).quantize(colors=60), "BMP"),
                   (32,), "exact", "8-bit palette BMP"))
    images.append(("rgba_40x40.bmp", pil_bytes(Image.fromarray(rgba[5:45, 5:45].copy(), "RGBA"), "BMP"), (32,), "exact",
                   "32-bit BI_RGB BMP: PIL reads it as RGB and ignores the 4th byte"))

    images.append(("rgb555_35x38.bmp", bmp16(smooth_rgb(rng, 35, 38, 20) >> 3), (32,), "approx",
                   "16-bit 5-5-5 BMP: stb expands 5 bits by bit replication, PIL by v*255//31 (differ by 1)"))

    # JPEGs: stb's decoder is not libjpeg, so these are compared with a tolerance and the difference reported
    images.append(("grey_64x60.jpg", pil_bytes(Image.fromarray(smooth_rgb(rng, 64, 60, 8)[..., 0], "L"), "JPEG", quality=90),
                   (32,), "jpeg", "greyscale JPEG"))
    images.append(("rgb420_prog_101x99.jpg",
                   pil_bytes(Image.fromarray(smooth_rgb(rng, 101, 99, 8)), "JPEG", quality=85, subsampling=2, progressive=True),
                   (96,), "jpeg", "progressive, 4:2:0 chroma"))
    c = smooth_rgb(rng, 64, 60, 8)
    k = smooth_rgb(rng, 64, 60, 8)[..., :1] // 2
    cmyk = Image.fromarray(np.concatenate([c, k], -1), "CMYK")
    images.append(("cmyk_64x60.jpg", pil_bytes(cmyk, "JPEG", quality=95), (32,), "jpeg", "Adobe CMYK JPEG (inverted, transform 0)"))

    pbc = [("neutrophil", "SNE_814256.jpg"), ("platelet", "PLATELET_851518.jpg")]
    for cls, fn in pbc:
        data = open(os.path.join(PBC, cls, fn), "rb").read()
        name = "pbc_%s_%s" % (cls, fn)
        images.append((name, data, (96, 128), "jpeg", "PBC dataset, CC BY 4.0 (see README)"))
        # the same pixels as PIL decodes them, losslessly: isolates the resize from the JPEG decoder
        pix = Image.open(io.BytesIO(data)).convert("RGB")
        images.append((name[:-4] + ".pil.png", pil_bytes(pix, "PNG", optimize=True), (96, 128), "exact",
                       "PIL's decode of %s, PBC dataset, CC BY 4.0" % name))

    rows = []
    for name, data, sizes, kind, note in images:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        for s in sizes:
            rgb = reference_rgb_highbyte(data, s) if kind == "highbyte" else reference_rgb(data, s)
            assert rgb.shape == (s, s, 3)
            rgb.tofile(os.path.join(OUT, "%s.s%d.u8" % (name, s)))
            rows.append("%s\t%d\t%s\t%s" % (name, s, kind, note))
    # one quantized tensor, computed independently of the C LUT
    qname = "rgb_360x363.png"
    q = quantize(reference_rgb(open(os.path.join(OUT, qname), "rb").read(), 96))
    q.tofile(os.path.join(OUT, qname + ".s96.i8"))

    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        f.write("# file\tS\tcompare\tnote  (compare: exact/highbyte = must be equal; jpeg = stb vs libjpeg decode, approx = other decoder difference: both reported)\n")
        f.write("# quant\t%s\t%r\t%r\t%r\t%d\n" % (qname + ".s96.i8", QMEAN, QSTD, QSCALE, QZP))
        for r in rows:
            f.write(r + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), total, OUT))


if __name__ == "__main__":
    sys.exit(main())
