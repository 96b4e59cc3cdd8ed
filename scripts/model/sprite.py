"""sprite.py - the reference map's thumbnail sprite sheet: a central crop of each reference cell, resized,
on a row-major grid, saved as WebP (JPEG where Pillow has no WebP) at the best quality under a byte budget."""
import io
import math

from PIL import Image, features


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
