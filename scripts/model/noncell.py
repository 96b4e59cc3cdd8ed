"""noncell.py - generated non-cell images for calibrating and checking the reference map's OOD threshold
(flat colours, noise, text pages, gradients, patterns, shapes, synthetic photos, odd image modes), and
PBC val cells altered in ways the app may meet (reported only, not used for the threshold)."""
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

NONCELL_SEED = 7


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
