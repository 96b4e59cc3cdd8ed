"""Draws the app icons (web/icons/icon-192.png, icon-512.png): a stained white blood cell (lobed
purple nucleus in pale cytoplasm) on a deep red square. The artwork stays inside the central 80 %
so the icons also work as maskable icons.

    /usr/bin/python3 scripts/web/make_icons.py
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parents[2] / "web" / "icons"


def draw(size):
    s = 4 * size  # supersampled, then downscaled for smooth edges
    img = Image.new("RGB", (s, s), (155, 28, 28))
    d = ImageDraw.Draw(img)
    # soft red-cell background texture
    for cx, cy, r in [(0.18, 0.2, 0.13), (0.84, 0.22, 0.12), (0.15, 0.83, 0.12), (0.86, 0.82, 0.13)]:
        d.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=(186, 60, 60))
    # the white cell
    c, r = 0.5 * s, 0.3 * s
    d.ellipse([c - r, c - r, c + r, c + r], fill=(246, 222, 232))
    # three-lobed nucleus
    nucleus = (96, 48, 140)
    for dx, dy, rr in [(-0.11, -0.05, 0.095), (0.09, -0.08, 0.085), (0.03, 0.1, 0.09)]:
        d.ellipse([(0.5 + dx - rr) * s, (0.5 + dy - rr) * s, (0.5 + dx + rr) * s, (0.5 + dy + rr) * s], fill=nucleus)
    d.ellipse([0.44 * s, 0.42 * s, 0.56 * s, 0.56 * s], fill=nucleus)
    img = img.filter(ImageFilter.GaussianBlur(s / 400))
    return img.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for n in (192, 512):
        p = OUT / f"icon-{n}.png"
        draw(n).save(p, optimize=True)
        print(p, p.stat().st_size, "bytes")
