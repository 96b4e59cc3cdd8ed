"""corruptions.py - fixed, seeded image corruptions for the robustness benchmark (scripts/bench/robustness.py):
what another lab's microscope, camera and stain do to a PBC image, at 3 severities each.

    corrupt(img, kind, severity, seed) -> PIL RGB image of the same size (zoom and lowres keep the size too)

Kinds (severity 1, 2, 3):
  warm        white balance towards yellow (a halogen lamp, camera auto white balance): R x 1.04/1.08/1.12,
              B x 0.90/0.80/0.70
  cool        white balance towards blue (LED light): R x 0.90/0.80/0.70, B x 1.04/1.08/1.12
  gamma       camera tone curve: pixel^gamma on 0..1, gamma 1.35 / 1.7 / 2.1 (darker mid-tones)
  saturation  weaker stain or camera desaturation: saturation x 0.65 / 0.4 / 0.15 (PIL ImageEnhance.Color)
  brightness  exposure: x 0.85 / 0.7 / 0.55
  stain       another stain recipe: hematoxylin and eosin optical densities (Ruifrok-Johnston HED) scaled
              H x 1.3/1.6/2.0 and E x 0.8/0.6/0.4
  blur        defocus: Gaussian blur radius 1 / 2 / 3.5 px (at the image's own resolution)
  noise       sensor noise: additive Gaussian, sigma 8 / 16 / 28 (of 255), seeded
  jpeg        compression: JPEG quality 50 / 30 / 15
  lowres      a low-resolution camera: downscale by 2 / 3 / 4 (box filter), upscale back (bilinear)
  zoom        higher magnification / tighter framing (as in the Tecom set): the central 80% / 65% / 50% of
              the image, resized back to the original size (bilinear)
Every kind is deterministic for a (kind, severity, seed); only noise uses the seed."""
import io

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

KINDS = ["warm", "cool", "gamma", "saturation", "brightness", "stain", "blur", "noise", "jpeg", "lowres", "zoom"]
SEVERITIES = (1, 2, 3)

# Ruifrok & Johnston (2001) stain vectors for hematoxylin, eosin and DAB (rows), normalised.
_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_HED = _HED / np.linalg.norm(_HED, axis=1, keepdims=True)
_HED_INV = np.linalg.inv(_HED)


def _gains(img, g):
    a = np.asarray(img, dtype=np.float32) * np.asarray(g, dtype=np.float32)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB")


def _stain(img, h, e):
    rgb = np.asarray(img, dtype=np.float64)
    od = -np.log(np.maximum(rgb, 1.0) / 255.0)            # optical density per channel
    conc = od.reshape(-1, 3) @ _HED_INV                   # H, E, D concentrations
    conc[:, 0] *= h
    conc[:, 1] *= e
    out = 255.0 * np.exp(-(conc @ _HED))
    return Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(rgb.shape), "RGB")


def corrupt(img, kind, severity, seed=0):
    """img: PIL image (any mode; converted to RGB). Returns a new RGB image of the same size."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity} not in {SEVERITIES}")
    s = severity - 1
    img = img.convert("RGB")
    w, h = img.size
    if kind == "warm":
        return _gains(img, [(1.04, 1.08, 1.12)[s], 1.0, (0.90, 0.80, 0.70)[s]])
    if kind == "cool":
        return _gains(img, [(0.90, 0.80, 0.70)[s], 1.0, (1.04, 1.08, 1.12)[s]])
    if kind == "gamma":
        g = (1.35, 1.7, 2.1)[s]
        lut = [int(round(255 * (i / 255) ** g)) for i in range(256)]
        return img.point(lut * 3)
    if kind == "saturation":
        return ImageEnhance.Color(img).enhance((0.65, 0.4, 0.15)[s])
    if kind == "brightness":
        return ImageEnhance.Brightness(img).enhance((0.85, 0.7, 0.55)[s])
    if kind == "stain":
        return _stain(img, (1.3, 1.6, 2.0)[s], (0.8, 0.6, 0.4)[s])
    if kind == "blur":
        return img.filter(ImageFilter.GaussianBlur((1.0, 2.0, 3.5)[s]))
    if kind == "noise":
        rng = np.random.RandomState(seed)
        a = np.asarray(img, dtype=np.float32) + rng.normal(0, (8, 16, 28)[s], (h, w, 3)).astype(np.float32)
        return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB")
    if kind == "jpeg":
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=(50, 30, 15)[s])
        buf.seek(0)
        with Image.open(buf) as j:
            return j.convert("RGB")
    if kind == "lowres":
        f = (2, 3, 4)[s]
        small = img.resize((max(1, w // f), max(1, h // f)), Image.BOX)
        return small.resize((w, h), Image.BILINEAR)
    if kind == "zoom":
        frac = (0.8, 0.65, 0.5)[s]
        cw, ch = max(1, int(round(w * frac))), max(1, int(round(h * frac)))
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return img.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BILINEAR)
    raise ValueError(f"unknown corruption {kind!r}; known: {', '.join(KINDS)}")
