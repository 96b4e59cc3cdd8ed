"""build_reference_map.py - the app's reference map: a 2-D t-SNE of training-cell embeddings, the embeddings
themselves, a thumbnail sprite sheet, and a calibrated out-of-distribution (OOD) threshold.

    /usr/bin/python3 scripts/model/build_reference_map.py [--model models/bloodcell.bin] [--per-class 180] [--out models]
        [--data ../shared/data/pbc] [--ood-val-per-class 50] [--jobs 1] [--backend own|xnnpack]
        [--write-noncell-fixtures DIR]

Relative paths are resolved against the repository root.  Embeddings come from the native CLI
(`bloodcell classify --json --embedding`, the int8 engine), cached in build/eval-cache/ (shared with
scripts/model/evaluate.py).

Outputs in OUT:
  reference-map.json        classes, points (x, y in 0..1, label = class index, file), the kNN placement rule,
                            the OOD score rule, threshold and measured rates, the embedding and sprite layout
  reference-embeddings.bin  L2-normalised embeddings, little-endian float16, row-major N x C (row i = points[i])
  reference-thumbs.webp     sprite sheet of 48x48 thumbnails (row-major grid, index = point order)
  REFERENCE_MAP.md          the same rules in prose, for the app
Generated non-cell images for the OOD calibration go to build/ood/ (not committed)."""
import argparse
import io
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # keep CPU use light (t-SNE, BLAS)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as ev  # noqa: E402

REPO = ev.REPO
CLASSES = ev.CLASSES
SAMPLE_SEED = 20261126
TSNE_SEED = 0
NONCELL_SEED = 7
PLACEMENT_RULE = (
    "Let q be the new cell's embedding (the engine's embedding output) divided by its L2 norm (leave it all-zero if "
    "the norm is 0). For every reference row r_i (float16 -> float32, already L2-normalised) the cosine similarity is "
    "s_i = dot(q, r_i). Take the k = {k} references with the largest s_i (ties: lower index first). Map position: "
    "x = sum(w_i * x_i) / sum(w_i), y likewise, with w_i = max(s_i, 0) over those k (if all w_i are 0, use the "
    "plain mean of their x, y). OOD score = 1 - mean(s_i) over the same k. The cell is flagged as 'not like the "
    "PBC training cells' when the OOD score is greater than ood.threshold.")


def fail(msg):
    ev.fail(msg)


# ---------------------------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------------------------
def stratified(rows, split, per_class, seed):
    """Fixed-seed sample of at most per_class files per class from one split; class order, then file name."""
    rng = np.random.RandomState(seed)
    out = []
    for ci, c in enumerate(CLASSES):
        files = sorted(r[0] for r in rows if r[2] == split and r[1] == c)
        pick = rng.permutation(len(files))[:per_class]
        out += [(f, ci) for f in sorted(files[i] for i in pick)]
    return out


# ---------------------------------------------------------------------------------------------
# generated non-cell images
# ---------------------------------------------------------------------------------------------
def _font(size):
    for p in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"):
        if os.path.exists(p):
            return ImageFont.truetype(p, size)
    return ImageFont.load_default()


LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
         "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
         "ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
         "fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
         "mollit anim id est laborum. ").split()


def _text_page(w, h, size, fg, bg, rng):
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    f = _font(size)
    y, words = 6, list(LOREM)
    while y < h - size:
        line = []
        while True:
            wd = words[rng.randint(len(words))]
            tw = d.textlength(" ".join(line + [wd]), font=f)
            if tw > w - 12:
                break
            line.append(wd)
        d.text((6, y), " ".join(line), fill=fg, font=f)
        y += int(size * 1.35)
    return im


def _smooth_noise(w, h, rng, cells=8, channels=3):
    small = rng.rand(cells, cells, channels) * 255
    im = Image.fromarray(small.astype(np.uint8), "RGB" if channels == 3 else "L")
    return im.resize((w, h), Image.BICUBIC)


def _fbm(w, h, rng, octaves=5):
    acc = np.zeros((h, w))
    for o in range(octaves):
        c = 2 ** (o + 2)
        layer = np.asarray(Image.fromarray((rng.rand(c, c) * 255).astype(np.uint8), "L").resize((w, h), Image.BICUBIC),
                           float) / 255
        acc += layer / (2 ** o)
    acc -= acc.min()
    return acc / max(acc.max(), 1e-9)


def _landscape(w, h, rng, variant):
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    sky_top, sky_bot = np.array([[60, 110, 200], [255, 150, 80], [30, 30, 70]][variant]), np.array(
        [[170, 210, 250], [255, 220, 150], [90, 70, 120]][variant])
    img = sky_top[None, None] * (1 - yy[..., None]) + sky_bot[None, None] * yy[..., None]
    n = _fbm(w, h, rng)
    horizon = 0.55 + 0.12 * np.sin(xx * 6.28 * (1 + variant) + rng.rand() * 6) + 0.08 * (n - 0.5)
    ground = yy > horizon
    grass = np.stack([40 + 60 * n, 110 + 80 * n, 30 + 40 * n], -1) if variant != 1 else \
        np.stack([150 + 60 * n, 120 + 50 * n, 70 + 30 * n], -1)
    img[ground] = grass[ground]
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    sx, sy, r = int(w * (0.2 + 0.6 * rng.rand())), int(h * 0.2), int(min(w, h) * 0.07)
    d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=(255, 240, 180) if variant != 2 else (230, 230, 240))
    for _ in range(6 + 4 * variant):  # trees / rocks
        tx, ty = int(rng.rand() * w), int(h * (0.6 + 0.35 * rng.rand()))
        th = int(h * (0.08 + 0.1 * rng.rand()))
        d.rectangle((tx - 3, ty - th // 3, tx + 3, ty), fill=(80, 50, 30))
        d.ellipse((tx - th // 3, ty - th, tx + th // 3, ty - th // 3), fill=(20, 90 + int(60 * rng.rand()), 30))
    return im.filter(ImageFilter.GaussianBlur(1.0))


def _blobs(w, h, rng, bg, n, palette):
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.ones((h, w, 3)) * np.array(bg, float)
    for _ in range(n):
        cx, cy = rng.rand() * w, rng.rand() * h
        sx, sy = (0.03 + 0.12 * rng.rand()) * w, (0.03 + 0.12 * rng.rand()) * h
        a = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))[..., None]
        col = np.array(palette[rng.randint(len(palette))], float)
        img = img * (1 - a) + col * a
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def _shapes(w, h, rng, bg):
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    for _ in range(25):
        col = tuple(int(v) for v in rng.randint(0, 256, 3))
        x0, y0 = rng.randint(0, w), rng.randint(0, h)
        x1, y1 = x0 + rng.randint(10, w // 2), y0 + rng.randint(10, h // 2)
        k = rng.randint(3)
        if k == 0:
            d.rectangle((x0, y0, x1, y1), fill=col)
        elif k == 1:
            d.ellipse((x0, y0, x1, y1), fill=col, outline=(0, 0, 0))
        else:
            d.polygon([(int(rng.randint(0, w)), int(rng.randint(0, h))) for _ in range(3 + rng.randint(3))], fill=col)
    return im


def _checker(w, h, cell, c1, c2):
    yy, xx = np.mgrid[0:h, 0:w]
    m = ((yy // cell + xx // cell) % 2).astype(bool)
    img = np.where(m[..., None], np.array(c1, np.uint8), np.array(c2, np.uint8))
    return Image.fromarray(img.astype(np.uint8), "RGB")


def _grad(w, h, c1, c2, kind):
    yy, xx = np.mgrid[0:h, 0:w] / np.array([max(h - 1, 1), max(w - 1, 1)])[:, None, None]
    t = {"h": xx, "v": yy, "d": (xx + yy) / 2, "r": np.clip(np.hypot(xx - 0.5, yy - 0.5) / 0.7071, 0, 1)}[kind]
    img = np.array(c1, float) * (1 - t[..., None]) + np.array(c2, float) * t[..., None]
    return Image.fromarray(img.astype(np.uint8), "RGB")


def _document(w, h, rng):
    im = _text_page(w, h, 11, (30, 30, 30), (250, 250, 245), rng)
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 40), fill=(250, 250, 245))
    d.text((10, 8), "LABORATORY REPORT", fill=(0, 0, 0), font=_font(20))
    for i in range(6):  # a table
        y = h // 2 + i * 22
        d.rectangle((10, y, w - 10, y + 22), outline=(0, 0, 0), fill=(255, 255, 255))
        d.line((w // 2, y, w // 2, y + 22), fill=(0, 0, 0))
        d.text((16, y + 4), f"item {i + 1}", fill=(0, 0, 0), font=_font(12))
        d.text((w // 2 + 6, y + 4), f"{rng.rand() * 100:.1f}", fill=(0, 0, 0), font=_font(12))
    return im


def _screenshot(w, h, rng):
    im = Image.new("RGB", (w, h), (240, 242, 245))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 36), fill=(40, 60, 110))
    d.text((12, 9), "My App  -  Settings", fill=(255, 255, 255), font=_font(15))
    for i in range(7):
        y = 50 + i * 44
        d.rounded_rectangle((12, y, w - 12, y + 36), 6, fill=(255, 255, 255), outline=(200, 200, 210))
        d.text((24, y + 10), f"Option {i + 1}: " + " ".join(LOREM[i * 3:i * 3 + 3]), fill=(40, 40, 40), font=_font(13))
        d.rounded_rectangle((w - 70, y + 9, w - 24, y + 27), 9, fill=(60, 160, 90) if rng.rand() > 0.5 else (180, 180, 190))
    return im


def _mandelbrot(w, h):
    y, x = np.mgrid[-1.2:1.2:h * 1j, -2.1:0.7:w * 1j]
    c = x + 1j * y
    z = np.zeros_like(c)
    it = np.zeros(c.shape)
    for i in range(60):
        z = np.where(np.abs(z) <= 2, z * z + c, z)
        it += np.abs(z) <= 2
    t = it / 60
    img = np.stack([255 * t ** 0.5, 255 * t ** 2, 255 * (1 - t) * t * 4], -1)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def generate_noncell(out_dir, seed=NONCELL_SEED):
    """Writes the generated non-cell images; returns [(name, kind, path)]."""
    rng = np.random.RandomState(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    W, H = 360, 363  # the PBC image size
    items = []

    def save(name, kind, im, fmt="png"):
        p = out_dir / f"{name}.{fmt}"
        if fmt == "jpg":
            im.convert("RGB").save(p, "JPEG", quality=90)
        else:
            im.save(p, "PNG", optimize=True)
        items.append((name, kind, p))

    for name, col in [("flat-grey", (128, 128, 128)), ("flat-white", (255, 255, 255)), ("flat-black", (0, 0, 0)),
                      ("flat-pbc-background", (223, 191, 184)), ("flat-red", (200, 30, 30)),
                      ("flat-blue", (30, 60, 200)), ("flat-green", (40, 160, 60))]:
        save(name, "uniform", Image.new("RGB", (W, H), col))
    save("noise-uniform-rgb", "noise", Image.fromarray(rng.randint(0, 256, (H, W, 3)).astype(np.uint8), "RGB"), "jpg")
    save("noise-gaussian-grey", "noise",
         Image.fromarray(np.clip(128 + 40 * rng.randn(H, W), 0, 255).astype(np.uint8), "L"), "jpg")
    sp = np.full((H, W), 200, np.uint8)
    m = rng.rand(H, W)
    sp[m < 0.05], sp[m > 0.95] = 0, 255
    save("noise-salt-pepper", "noise", Image.fromarray(sp, "L"))
    save("noise-smooth-colour", "noise", _smooth_noise(W, H, rng, 6), "jpg")
    save("noise-smooth-colour-fine", "noise", _smooth_noise(W, H, rng, 24), "jpg")
    save("noise-small-64px", "noise", Image.fromarray(rng.randint(0, 256, (64, 64, 3)).astype(np.uint8), "RGB"))
    save("text-page", "text", _text_page(W, H, 14, (0, 0, 0), (255, 255, 255), rng))
    save("text-page-large", "text", _text_page(800, 600, 11, (20, 20, 20), (255, 255, 250), rng), "jpg")
    save("text-coloured", "text", _text_page(W, H, 22, (200, 40, 120), (230, 240, 255), rng))
    save("text-banner-wide", "text", _text_page(1000, 200, 40, (255, 255, 255), (20, 20, 90), rng))
    save("document-report", "text", _document(W, 480, rng), "jpg")
    save("screenshot-ui", "text", _screenshot(W, H, rng))
    for name, c1, c2, k in [("gradient-horizontal", (0, 0, 0), (255, 255, 255), "h"),
                            ("gradient-vertical-colour", (255, 80, 0), (0, 90, 255), "v"),
                            ("gradient-diagonal-pink", (250, 220, 210), (120, 60, 140), "d"),
                            ("gradient-radial", (255, 255, 200), (40, 0, 60), "r")]:
        save(name, "gradient", _grad(W, H, c1, c2, k))
    for name, cell, c1, c2 in [("checker-8px", 8, (0, 0, 0), (255, 255, 255)),
                               ("checker-32px", 32, (0, 0, 0), (255, 255, 255)),
                               ("checker-16px-colour", 16, (220, 40, 40), (40, 40, 220)),
                               ("checker-2px", 2, (60, 60, 60), (200, 200, 200))]:
        save(name, "checkerboard", _checker(W, H, cell, c1, c2))
    yy, xx = np.mgrid[0:H, 0:W]
    stripes = ((xx // 12) % 2 * 255).astype(np.uint8)
    save("stripes-vertical", "pattern", Image.fromarray(stripes, "L"))
    sinus = (127.5 + 127.5 * np.sin(xx / 7.0 + yy / 11.0)).astype(np.uint8)
    save("pattern-sinusoid", "pattern", Image.fromarray(np.stack([sinus, 255 - sinus, sinus // 2], -1), "RGB"))
    rings = (127.5 + 127.5 * np.sin(np.hypot(xx - W / 2, yy - H / 2) / 5.0)).astype(np.uint8)
    save("pattern-rings", "pattern", Image.fromarray(rings, "L"))
    save("pattern-mandelbrot", "pattern", _mandelbrot(W, H), "jpg")
    save("shapes-on-white", "shapes", _shapes(W, H, rng, (255, 255, 255)))
    save("shapes-on-black", "shapes", _shapes(W, H, rng, (0, 0, 0)))
    save("shapes-on-pink", "shapes", _shapes(W, H, rng, (230, 200, 195)), "jpg")
    for v in range(3):
        save(f"photo-landscape-{v + 1}", "synthetic photo", _landscape(480 if v == 0 else W, H, rng, v), "jpg")
    save("photo-texture-fbm", "synthetic photo",
         Image.fromarray((np.stack([_fbm(W, H, rng)] * 3, -1) * np.array([180, 140, 100]) + 40).astype(np.uint8),
                         "RGB"), "jpg")
    save("blobs-bright", "blobs", _blobs(W, H, rng, (245, 245, 240), 25,
                                         [(230, 60, 60), (60, 180, 60), (250, 200, 30), (40, 120, 230)]), "jpg")
    save("blobs-dark", "blobs", _blobs(W, H, rng, (15, 15, 25), 30,
                                       [(255, 120, 0), (0, 200, 255), (255, 255, 255)]), "jpg")
    save("blobs-fruit-bowl", "blobs", _blobs(W, H, rng, (120, 85, 50), 12,
                                             [(220, 30, 30), (255, 160, 0), (120, 200, 40), (240, 220, 60)]), "jpg")
    save("blobs-pastel", "blobs", _blobs(W, H, rng, (235, 225, 215), 40,
                                         [(180, 200, 230), (230, 190, 200), (200, 230, 190)]), "jpg")
    # a few files in other image modes / shapes
    g = _grad(W, H, (0, 0, 0), (255, 255, 255), "d").convert("L")
    save("mode-greyscale-gradient", "gradient", g)
    rgba = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).ellipse((60, 60, 300, 300), fill=(30, 120, 220, 255))
    save("mode-rgba-transparent-circle", "shapes", rgba)
    save("mode-palette-shapes", "shapes", _shapes(W, H, rng, (250, 250, 250)).convert("P", palette=Image.ADAPTIVE,
                                                                                        colors=16))
    save("tiny-16px", "uniform", Image.new("RGB", (16, 16), (90, 90, 90)))
    save("tall-200x900-stripes", "pattern",
         Image.fromarray(((np.mgrid[0:900, 0:200][0] // 20) % 2 * 200 + 30).astype(np.uint8), "L"))
    return items


def generate_derived(out_dir, data_dir, val_items, seed=NONCELL_SEED):
    """Diagnostics only (not used for the threshold): PBC val cells altered in ways the app may meet."""
    rng = np.random.RandomState(seed + 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = []
    pick = [val_items[i][0] for i in rng.permutation(len(val_items))[:12]]
    if len(pick) < 2:
        return items
    ims = [Image.open(data_dir / f).convert("RGB") for f in pick]
    for j in range(2):
        im = ims[j]
        for kind, out in [("rotated 90 degrees (in distribution: control)", im.transpose(Image.ROTATE_90)),
                          ("greyscale", im.convert("L").convert("RGB")),
                          ("colour-inverted", Image.eval(im, lambda v: 255 - v)),
                          ("strong blur (radius 8)", im.filter(ImageFilter.GaussianBlur(8))),
                          ("zoomed-out field of many cells", None)]:
            if out is None:
                n = 3 + j
                side = 360 // n
                out = Image.new("RGB", (360, 360))
                for k in range(n * n):
                    out.paste(ims[k % len(ims)].resize((side, side)), ((k % n) * side, (k // n) * side))
            p = out_dir / f"derived-{kind.split()[0].split('-')[0]}-{j + 1}.jpg"
            out.save(p, "JPEG", quality=92)
            items.append((p.stem, kind, p))
    return items


# ---------------------------------------------------------------------------------------------
# geometry and scores
# ---------------------------------------------------------------------------------------------
def l2n(e):
    n = np.linalg.norm(e, axis=1, keepdims=True)
    return np.where(n > 0, e / np.where(n > 0, n, 1), 0.0)


def knn_place(q, ref, xy, k):
    """The app's rule (PLACEMENT_RULE), vectorised: q rows already L2-normalised, ref float32 rows."""
    s = q @ ref.T
    idx = np.argsort(-s, axis=1, kind="stable")[:, :k]
    sk = np.take_along_axis(s, idx, 1)
    w = np.maximum(sk, 0)
    ws = w.sum(1, keepdims=True)
    w = np.where(ws > 0, w / np.where(ws > 0, ws, 1), 1.0 / k)
    pos = np.einsum("nk,nkd->nd", w, xy[idx])
    return pos, 1 - sk.mean(1), idx


def tsne_2d(x, seed, perplexity):
    from sklearn.manifold import TSNE
    perp = float(min(perplexity, max(2.0, (len(x) - 1) / 3.0)))
    ts = TSNE(n_components=2, init="pca", random_state=seed, perplexity=perp, learning_rate="auto", n_jobs=1)
    y = ts.fit_transform(x.astype(np.float32))
    y = y - y.min(0)
    span = float(y.max())
    y = y / (span if span > 0 else 1.0)
    y += (1 - y.max(0)) / 2  # centre the shorter axis; both axes share one scale
    return y, perp


def rates(pbc, non, t):
    return {"threshold": round(float(t), 4), "fpr": round(float((pbc > t).mean()), 4) if len(pbc) else "not measured",
            "tpr": round(float((non > t).mean()), 4) if len(non) else "not measured",
            "pbc_val_n": int(len(pbc)), "noncell_n": int(len(non))}


def auroc(pbc, non):
    a = np.concatenate([pbc, non])
    r = np.argsort(np.argsort(a, kind="stable"), kind="stable") + 1.0
    # average ranks for ties
    for v in np.unique(a):
        m = a == v
        if m.sum() > 1:
            r[m] = r[m].mean()
    rn = r[len(pbc):].sum()
    return float((rn - len(non) * (len(non) + 1) / 2) / (len(pbc) * len(non)))


# ---------------------------------------------------------------------------------------------
# sprite
# ---------------------------------------------------------------------------------------------
def thumbnail(path, size, crop_frac):
    with Image.open(path) as im:
        im = im.convert("RGB")
    w, h = im.size
    side = max(1, int(round(min(w, h) * crop_frac)))
    x0, y0 = (w - side) // 2, (h - side) // 2
    return im.crop((x0, y0, x0 + side, y0 + side)).resize((size, size), Image.LANCZOS)


def build_sprite(paths, size, columns, crop_frac, out_base, max_bytes):
    rows = math.ceil(len(paths) / columns)
    sheet = Image.new("RGB", (columns * size, rows * size), (255, 255, 255))
    for i, p in enumerate(paths):
        sheet.paste(thumbnail(p, size, crop_frac), ((i % columns) * size, (i // columns) * size))
    webp = features.check("webp")
    fmt, ext = ("WEBP", "webp") if webp else ("JPEG", "jpg")
    for q in (85, 80, 72, 64, 56, 48, 40, 32):
        buf = io.BytesIO()
        sheet.save(buf, fmt, quality=q, **({"method": 6} if webp else {"optimize": True}))
        if buf.tell() <= max_bytes:
            break
    path = out_base.with_suffix("." + ext)
    path.write_bytes(buf.getvalue())
    return {"file": path.name, "format": fmt.lower(), "quality": q, "bytes": buf.tell(), "thumb_size": size,
            "columns": columns, "rows": rows, "width": columns * size, "height": rows * size,
            "index": "thumbnail i is at (x, y) = ((i % columns) * thumb_size, floor(i / columns) * thumb_size); "
                     "i = index into points",
            "crop": f"central square of side {crop_frac} x min(W, H), resized to {size}x{size} (Lanczos)"}


# ---------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/bloodcell.bin")
    ap.add_argument("--data", default="../shared/data/pbc")
    ap.add_argument("--per-class", type=int, default=180, help="training images per class on the map")
    ap.add_argument("--ood-val-per-class", type=int, default=50, help="held-out val images per class for the OOD "
                                                                      "threshold")
    ap.add_argument("--out", default="models")
    ap.add_argument("--cli", default="build/native/bloodcell")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--backend", choices=("own", "xnnpack"), default="own")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=SAMPLE_SEED)
    ap.add_argument("--perplexity", type=float, default=30.0)
    ap.add_argument("--thumb", type=int, default=48)
    ap.add_argument("--thumb-crop", type=float, default=0.7, help="fraction of min(W,H) kept by the centre crop")
    ap.add_argument("--columns", type=int, default=40)
    ap.add_argument("--max-sprite-bytes", type=int, default=1_500_000)
    ap.add_argument("--ood-percentile", type=float, default=99.0)
    ap.add_argument("--noncell-dir", default="build/ood")
    ap.add_argument("--write-noncell-fixtures", default=None, metavar="DIR",
                    help="also copy a handful of the generated non-cell images here (e.g. tests/fixtures/noncell)")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()

    t_start = time.time()
    model, data_dir, out, cli = ev.resolve(args.model), ev.resolve(args.data).resolve(), ev.resolve(args.out), \
        ev.resolve(args.cli)
    ood_dir = ev.resolve(args.noncell_dir)
    ev.check_cli(cli)
    model_bytes, g = ev.check_model(model)
    rows = ev.read_split()
    ref_items = stratified(rows, "train", args.per_class, args.seed)
    val_items = stratified(rows, "val", args.ood_val_per_class, args.seed + 1)
    ev.check_data(data_dir, ref_items + val_items)

    noncell = generate_noncell(ood_dir / "noncell")
    derived = generate_derived(ood_dir / "derived", data_dir, val_items)
    print(f"model {ev.rel(model)}; reference {len(ref_items)} train images, OOD calibration {len(val_items)} val "
          f"images + {len(noncell)} generated non-cell images (+{len(derived)} derived diagnostics) in "
          f"{ev.rel(ood_dir)}", file=sys.stderr)

    paths = [data_dir / f for f, _ in ref_items + val_items] + [p for _, _, p in noncell + derived]
    res, timing = ev.run_engine(cli, model, model_bytes, paths, jobs=args.jobs, use_cache=not args.no_cache,
                                backend=args.backend)

    def embed(items_paths):
        ok, embs, bad = [], [], []
        for key, p in items_paths:
            r = res[str(p)]
            if "error" in r:
                bad.append((key, r["error"]))
            else:
                ok.append(key)
                embs.append(r["embedding"])
        return ok, np.array(embs, np.float64), bad

    ref_ok, ref_emb, ref_bad = embed([((f, ci), data_dir / f) for f, ci in ref_items])
    val_ok, val_emb, val_bad = embed([((f, ci), data_dir / f) for f, ci in val_items])
    non_ok, non_emb, non_bad = embed([((n, k), p) for n, k, p in noncell])
    der_ok, der_emb, der_bad = embed([((n, k), p) for n, k, p in derived])
    for what, bad in (("reference", ref_bad), ("val", val_bad), ("non-cell", non_bad), ("derived", der_bad)):
        if bad:
            print(f"warning: {len(bad)} {what} image(s) failed in the engine, e.g. {bad[0]}", file=sys.stderr)
    if len(ref_ok) < args.k + 1:
        fail(f"only {len(ref_ok)} reference images could be embedded; need more than k = {args.k}")
    C = ref_emb.shape[1]

    ref_n = l2n(ref_emb)
    ref16 = ref_n.astype("<f2")
    ref32 = ref16.astype(np.float32)  # what the app has
    t0 = time.time()
    xy, perp = tsne_2d(ref_n, TSNE_SEED, args.perplexity)
    t_tsne = time.time() - t0
    xy = np.round(xy.astype(np.float64), 5)
    print(f"t-SNE of {len(ref_ok)} x {C} in {t_tsne:.1f} s (perplexity {perp:.1f})", file=sys.stderr)

    # OOD scores with the app's exact rule, against the float16 references
    k = args.k
    _, s_val, idx_val = knn_place(l2n(val_emb).astype(np.float32), ref32, xy, k)
    _, s_non, _ = knn_place(l2n(non_emb).astype(np.float32), ref32, xy, k) if len(non_ok) else (None, np.zeros(0), None)
    _, s_der, _ = knn_place(l2n(der_emb).astype(np.float32), ref32, xy, k) if len(der_ok) else (None, np.zeros(0), None)
    ref_labels = np.array([ci for _, ci in ref_ok])
    val_labels = np.array([ci for _, ci in val_ok])
    vote = np.array([np.bincount(ref_labels[row], minlength=len(CLASSES)).argmax() for row in idx_val])
    knn_acc = float((vote == val_labels).mean())

    thr = float(np.percentile(s_val, args.ood_percentile))
    thr = float(np.ceil(thr * 1e4) / 1e4)
    main_rates = rates(s_val, s_non, thr)
    alt = {"p95": rates(s_val, s_non, np.ceil(np.percentile(s_val, 95) * 1e4) / 1e4),
           "p99.9": rates(s_val, s_non, np.ceil(np.percentile(s_val, 99.9) * 1e4) / 1e4)}
    cand = np.unique(np.concatenate([s_val, s_non]))
    if len(s_non):
        j = [((s_non > t).mean() - (s_val > t).mean()) for t in cand]
        alt["best_youden"] = rates(s_val, s_non, cand[int(np.argmax(j))])
    print(f"OOD threshold {thr} ({args.ood_percentile}th percentile of PBC val): FPR {main_rates['fpr']} on "
          f"{len(s_val)} val cells, TPR {main_rates['tpr']} on {len(s_non)} non-cell images; kNN vote accuracy on "
          f"val {knn_acc:.3f}", file=sys.stderr)

    # ---- outputs
    out.mkdir(parents=True, exist_ok=True)
    emb_path = out / "reference-embeddings.bin"
    emb_path.write_bytes(ref16.tobytes(order="C"))
    sprite = build_sprite([data_dir / f for f, _ in ref_ok], args.thumb, args.columns, args.thumb_crop,
                          out / "reference-thumbs", args.max_sprite_bytes)
    pct = lambda a, q: round(float(np.percentile(a, q)), 4) if len(a) else "not measured"  # noqa: E731
    doc = {
        "schema": "bloodcell-reference-map-1",
        "generated_by": "scripts/model/build_reference_map.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "model": {"file": ev.rel(model), "name": g.name, "sha256_without_temperature": ev.cache_key(model_bytes, cli),
                  "note": "embeddings depend on the model weights; rebuild this map whenever the model changes"},
        "classes": CLASSES,
        "embedding_dim": int(C),
        "embeddings": {"file": emb_path.name, "dtype": "float16", "byte_order": "little-endian",
                       "shape": [len(ref_ok), int(C)], "layout": "row-major; row i belongs to points[i]",
                       "normalised": "each row divided by its L2 norm (in float64, then rounded to float16)",
                       "bytes": emb_path.stat().st_size,
                       "source": "the engine's embedding output (dequantized global-average-pool features)"},
        "points": [{"x": float(xy[i, 0]), "y": float(xy[i, 1]), "label": int(ci), "file": f}
                   for i, (f, ci) in enumerate(ref_ok)],
        "layout": {"method": "t-SNE (scikit-learn TSNE, 2-D, init 'pca', learning_rate 'auto', "
                             f"perplexity {perp:g}, random_state {TSNE_SEED}) of the L2-normalised embeddings",
                   "normalisation": "x and y share one scale: shifted to start at 0, divided by the larger extent, "
                                    "the shorter axis centred in 0..1",
                   "y_axis": "y grows downwards when drawn as screen coordinates (any consistent choice works)"},
        "sample": {"split": "train", "per_class": args.per_class, "seed": args.seed,
                   "rule": "per class in class order, one numpy RandomState(seed) permutation of the sorted file "
                           "names; the first per_class files, then sorted by name",
                   "counts": {c: int((ref_labels == i).sum()) for i, c in enumerate(CLASSES)}},
        "knn": {"k": k, "metric": "cosine", "rule": PLACEMENT_RULE.format(k=k),
                "val_vote_accuracy": round(knn_acc, 4),
                "val_vote_note": "majority vote of the k nearest references' labels on the OOD-calibration val "
                                 "cells; a sanity check of the embedding, not the classifier's accuracy"},
        "ood": {"score": "1 - mean cosine similarity of the k nearest reference embeddings (see knn.rule)",
                "flag_if": "score > threshold",
                "threshold": thr,
                "threshold_rule": f"the {args.ood_percentile:g}th percentile of the OOD scores of held-out PBC "
                                  "val cells (rounded up to 4 decimals): about 1% of real PBC cells are flagged",
                "rates": {**main_rates,
                          "fpr_definition": "fraction of held-out PBC val cells flagged (false positives)",
                          "tpr_definition": "fraction of generated non-cell images flagged (true positives)"},
                "auroc": round(auroc(s_val, s_non), 4) if len(s_non) and len(s_val) else "not measured",
                "alternatives": alt,
                "pbc_val_scores": {"n": int(len(s_val)), "min": pct(s_val, 0), "p50": pct(s_val, 50),
                                   "p95": pct(s_val, 95), "p99": pct(s_val, 99), "max": pct(s_val, 100),
                                   "sample": f"{args.ood_val_per_class} val images per class, seed {args.seed + 1}"},
                "noncell_images": [{"name": n, "kind": kd, "score": round(float(s), 4), "flagged": bool(s > thr)}
                                   for (n, kd), s in zip(non_ok, s_non)],
                "derived_diagnostics": [{"name": n, "kind": kd, "score": round(float(s), 4), "flagged": bool(s > thr)}
                                        for (n, kd), s in zip(der_ok, s_der)],
                "derived_note": "PBC val cells altered (rotated, greyscale, inverted, blurred, tiled); reported only, "
                                "not used to choose the threshold",
                "caveat": "generated non-cell images are easy negatives; real-world out-of-distribution inputs "
                          "(other stains, scanners, phone photos of smears, abnormal cells) are not measured"},
        "thumbnails": sprite,
        "citation": ev.CITATION,
        "attribution": "the thumbnails are cropped and downscaled images of the PBC dataset (CC BY 4.0)",
    }
    (out / "reference-map.json").write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")
    (out / "REFERENCE_MAP.md").write_text(render_md(doc))

    if args.write_noncell_fixtures:
        write_fixtures(ev.resolve(args.write_noncell_fixtures), {n: p for n, _, p in noncell})

    sizes = {p.name: p.stat().st_size for p in (out / "reference-map.json", emb_path, out / sprite["file"],
                                               out / "REFERENCE_MAP.md")}
    for n, b in sizes.items():
        print(f"  {n}: {b:,} bytes", file=sys.stderr)
    print(f"  total shipped (json + bin + sprite): {sum(v for n, v in sizes.items() if not n.endswith('.md')):,} bytes",
          file=sys.stderr)
    n_img = timing["images_run"]
    if n_img:
        print(f"engine: {n_img} images, {1000 * timing['process_seconds'] / n_img:.1f} ms wall / "
              f"{1000 * timing['cpu_seconds'] / n_img:.1f} ms CPU per image ({timing['backend']})", file=sys.stderr)
    print(f"done in {time.time() - t_start:.0f} s", file=sys.stderr)


FIXTURES = ["flat-grey.png", "text-page.png", "checker-16px-colour.png", "mode-rgba-transparent-circle.png",
            "photo-landscape-2.jpg", "blobs-bright.jpg"]


def write_fixtures(dest, by_name):
    """PNGs are copied as generated; JPEGs are halved in size to keep the fixtures small."""
    dest.mkdir(parents=True, exist_ok=True)
    for fn in FIXTURES:
        src = by_name[fn.rsplit(".", 1)[0]]
        if fn.endswith(".png"):
            (dest / fn).write_bytes(src.read_bytes())
            continue
        with Image.open(src) as im:
            im = im.convert("RGB")
        im.resize((im.size[0] // 2, im.size[1] // 2), Image.LANCZOS).save(dest / fn, "JPEG", quality=85)
    print(f"wrote {len(FIXTURES)} non-cell fixtures into {ev.rel(dest)}", file=sys.stderr)


def render_md(d):
    o, kn, sp, em = d["ood"], d["knn"], d["thumbnails"], d["embeddings"]
    r = o["rates"]
    L = ["# Reference map\n",
         f"Generated {d['date']} by `{d['generated_by']}` for model `{d['model']['file']}` ({d['model']['name']}). "
         "Rebuild it whenever the model weights change.\n",
         "## Files\n",
         f"- `reference-map.json`: {len(d['points'])} training-split cells; `points[i]` = "
         "`{x, y, label, file}` with x, y in 0..1 (t-SNE), label = class index into `classes`.\n"
         f"- `{em['file']}`: the L2-normalised embeddings, {em['dtype']} {em['byte_order']}, row-major "
         f"{em['shape'][0]} x {em['shape'][1]} ({em['bytes']:,} bytes); row i belongs to points[i].\n"
         f"- `{sp['file']}`: {sp['columns']} x {sp['rows']} grid of {sp['thumb_size']} px thumbnails "
         f"({sp['width']} x {sp['height']} px, {sp['format']} quality {sp['quality']}, {sp['bytes']:,} bytes); "
         f"{sp['index']}. Crop: {sp['crop']}.\n",
         "## Placing a new cell (to implement in the app)\n",
         kn["rule"] + "\n",
         "```js\n"
         "// emb: Float32Array(C) from the engine; ref: Float32Array(N*C) from the float16 file; pts: points\n"
         "let n2 = 0; for (const v of emb) n2 += v * v;\n"
         "const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;\n"
         "const sims = new Float32Array(N);\n"
         "for (let i = 0; i < N; i++) { let s = 0; for (let c = 0; c < C; c++) s += emb[c] * inv * ref[i * C + c]; sims[i] = s; }\n"
         f"const nn = [...sims.keys()].sort((a, b) => sims[b] - sims[a] || a - b).slice(0, {kn['k']});\n"
         "let sw = 0, x = 0, y = 0, ssum = 0;\n"
         "for (const i of nn) { const w = Math.max(sims[i], 0); sw += w; x += w * pts[i].x; y += w * pts[i].y; ssum += sims[i]; }\n"
         "if (sw > 0) { x /= sw; y /= sw; } else { x = nn.reduce((a, i) => a + pts[i].x, 0) / nn.length; y = nn.reduce((a, i) => a + pts[i].y, 0) / nn.length; }\n"
         "const ood = 1 - ssum / nn.length;   // flag when ood > reference-map.json ood.threshold\n"
         "```\n",
         "## Out-of-distribution threshold\n",
         f"Threshold **{o['threshold']}** ({o['threshold_rule']}); flag when {o['flag_if']}.\n",
         ev.table(["set", "images", "flagged", "meaning"],
                  [["held-out PBC val cells", r["pbc_val_n"], ev.pct(r["fpr"]), "false positive rate"],
                   ["generated non-cell images", r["noncell_n"], ev.pct(r["tpr"]), "true positive rate"]]),
         f"AUROC (non-cell vs PBC val): {o['auroc']}. PBC val score percentiles: "
         + ", ".join(f"{k} {v}" for k, v in o["pbc_val_scores"].items() if k not in ("n", "sample")) + ".\n",
         "Other thresholds:\n",
         ev.table(["choice", "threshold", "FPR (PBC val)", "TPR (non-cell)"],
                  [[k, v["threshold"], ev.pct(v["fpr"]), ev.pct(v["tpr"])] for k, v in o["alternatives"].items()]),
         "Generated non-cell images (build/ood/noncell):\n",
         ev.table(["image", "kind", "OOD score", "flagged"],
                  [[x["name"], x["kind"], x["score"], "yes" if x["flagged"] else "no"] for x in o["noncell_images"]])]
    if o["derived_diagnostics"]:
        L += ["Altered PBC val cells (diagnostics only, not used for the threshold; build/ood/derived):\n",
              ev.table(["image", "alteration", "OOD score", "flagged"],
                       [[x["name"], x["kind"], x["score"], "yes" if x["flagged"] else "no"]
                        for x in o["derived_diagnostics"]])]
    L += [f"Caveat: {o['caveat']}.\n",
          f"Sanity check: majority vote of the {kn['k']} nearest references gives {ev.pct(kn['val_vote_accuracy'])} "
          "accuracy on the val cells above (embedding quality, not the classifier's accuracy).\n",
          "## Layout\n", d["layout"]["method"] + ". " + d["layout"]["normalisation"] + ".\n",
          "Sample: " + d["sample"]["rule"] + f" (seed {d['sample']['seed']}, {d['sample']['per_class']} per class).\n",
          "## Attribution\n", d["attribution"] + ": " + d["citation"] + "\n"]
    return "\n".join(L)


if __name__ == "__main__":
    main()
