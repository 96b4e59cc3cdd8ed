// decode.js - image formats the C engine does not read, decoded in the engine worker into RGBA pixels
// for the engine's pixel entry point (engine.classifyPixels):
//   WebP, GIF (first frame) and AVIF by the browser's own decoder (createImageBitmap);
//   TIFF by UTIF.js (web/vendor/utif.js, from npm, built by scripts/web/build_vendor.mjs), loaded on the
//   first TIFF: 8- and 16-bit grey and RGB (with or without alpha), palette and WhiteIsZero 8-bit.
// JPEG, PNG and BMP stay with the engine's own decoder (bit-exact with the training pipeline), and so does
// anything not recognised here: the engine names the formats it knows but does not read (HEIC, PDF, ...).
//
//   pixelFormat(bytes) -> 'webp' | 'gif' | 'avif' | 'tiff' | null (null: give the bytes to the engine)
//   await decodePixels(bytes, format) -> {ok: true, rgba, width, height} | {ok: false, error}
//   await pngCopy(rgba, width, height) -> a PNG Blob of the pixels (a TIFF is not shown by browsers)

// The engine's limit (BC_MAX_IMAGE_PIXELS, src/preprocess.h), checked before any pixel is allocated.
export const MAX_PIXELS = 40000000;

const NAMES = { webp: 'WebP', gif: 'GIF', avif: 'AVIF', tiff: 'TIFF' };
const MIME = { webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' };

const ascii = (b, at, s) => b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

export function pixelFormat(b) {
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'gif';
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'tiff';
  if (ascii(b, 4, 'ftyp')) {
    // ISO media: AVIF by its major brand, or 'avif' among the compatible brands of a generic HEIF
    // ('mif1'). HEIC (HEVC inside) is left to the engine, which refuses it by name.
    if (ascii(b, 8, 'avif') || ascii(b, 8, 'avis')) return 'avif';
    if (ascii(b, 8, 'mif1') || ascii(b, 8, 'msf1')) {
      const box = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
      const end = Math.min(box >= 16 ? box : 64, b.length);
      for (let i = 16; i + 4 <= end; i += 4) if (ascii(b, i, 'avif')) return 'avif';
    }
  }
  return null;
}

function tooLarge(w, h) {
  return w * h > MAX_PIXELS ? `image is ${w}x${h} pixels; the limit is ${MAX_PIXELS} pixels` : null;
}

export async function decodePixels(bytes, format) {
  try {
    return format === 'tiff' ? await decodeTiff(bytes) : await decodeByBrowser(bytes, format);
  } catch (err) {
    // A decoder that throws on a damaged file: said as such, with the decoder's reason.
    return { ok: false, error: `corrupt ${NAMES[format]} (${String(err?.message || err).slice(0, 120)})` };
  }
}

async function decodeByBrowser(bytes, format) {
  let bmp;
  try {
    // The file's own pixel values: no colour-space conversion, no premultiplied alpha.
    bmp = await createImageBitmap(new Blob([bytes], { type: MIME[format] }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    return { ok: false, error: `corrupt ${NAMES[format]} (this browser could not decode it)` };
  }
  const { width, height } = bmp;
  const big = tooLarge(width, height);
  if (big) { bmp.close(); return { ok: false, error: big }; }
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const rgba = new Uint8Array(ctx.getImageData(0, 0, width, height).data.buffer);
  return { ok: true, rgba, width, height };
}

let utif = null;
function loadUtif() {
  utif ||= import('./vendor/utif.js').then((m) => m.default);
  return utif;
}

// Compressions UTIF.js decodes (it leaves the pixels at zero for others, so those are refused first).
const TIFF_COMPRESSION = { 1: 'none', 5: 'LZW', 7: 'JPEG', 8: 'Deflate', 32946: 'Deflate', 32773: 'PackBits' };
const TIFF_PHOTOMETRIC = { 0: 'WhiteIsZero', 1: 'BlackIsZero', 2: 'RGB', 3: 'palette', 4: 'mask', 5: 'CMYK', 6: 'YCbCr', 8: 'CIELab', 32844: 'LogL', 32845: 'LogLuv' };

// What the decoder cannot read, said plainly: "TIFF with 32-bit floating-point samples is not supported: save ...".
const unsupportedTiff = (what) => ({ ok: false, error: `TIFF with ${what} is not supported: save as an 8-bit RGB TIFF, JPEG or PNG` });

export async function decodeTiff(bytes) {
  const UTIF = await loadUtif();
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const ifds = UTIF.decode(buf);
  const img = ifds.find((d) => d.t256 && d.t257);            // the first image of the file
  if (!img) return { ok: false, error: 'corrupt TIFF (no image in the file)' };
  const width = img.t256[0], height = img.t257[0];
  if (!(width > 0 && height > 0)) return { ok: false, error: `corrupt TIFF (image is ${width}x${height} pixels)` };
  const big = tooLarge(width, height);
  if (big) return { ok: false, error: big };
  const compression = img.t259 ? img.t259[0] : 1;
  const photometric = img.t262 ? img.t262[0] : (img.t258?.length >= 3 ? 2 : 1);
  const bits = img.t258 ? img.t258[0] : 1;
  const samples = img.t277 ? img.t277[0] : (img.t258 ? img.t258.length : 1);
  const format = img.t339 ? img.t339[0] : 1;
  if (!TIFF_COMPRESSION[compression]) return unsupportedTiff(`compression ${compression}`);
  if (format === 3) return unsupportedTiff(`${bits}-bit floating-point samples`);
  if (format !== 1) return unsupportedTiff('signed integer samples');
  if (img.t284 && img.t284[0] === 2) return unsupportedTiff('separate colour planes');
  if (img.t258 && img.t258.some((b) => b !== bits)) return unsupportedTiff(`mixed bit depths (${img.t258.join('/')})`);
  const grey = photometric === 1, rgb = photometric === 2;
  const direct = (grey && samples >= 1 && samples <= 2) || (rgb && samples >= 3 && samples <= 4);
  const viaUtif = (photometric === 0 || photometric === 3) && samples === 1 && bits === 8;
  if (!((direct && (bits === 8 || bits === 16)) || viaUtif)) {
    const kind = TIFF_PHOTOMETRIC[photometric] || `photometric interpretation ${photometric}`;
    return unsupportedTiff(`${bits}-bit ${kind} samples${samples > 1 ? ` (${samples} per pixel)` : ''}`);
  }
  UTIF.decodeImage(buf, img, ifds);
  const data = img.data;
  const need = width * height * samples * (bits / 8);
  if (!data || data.length < need) return { ok: false, error: 'truncated TIFF (the pixel data ends early)' };
  const rgba = viaUtif ? UTIF.toRGBA8(img) : toRGBA(data, width * height, samples, bits, grey);
  return { ok: true, rgba, width, height };
}

// Grey, grey + alpha, RGB or RGBA samples at 8 or 16 bits (16-bit little-endian, as UTIF.js leaves them)
// to RGBA8. 16-bit samples keep their top 8 bits in use: a 12-bit camera image stored in 16-bit samples
// (values up to 4095) is shifted by 4, not 8, so that it is not left nearly black; full-range 16-bit
// data is shifted by 8 (the high byte, as the engine reads a 16-bit PNG).
export function toRGBA(data, area, samples, bits, grey) {
  const out = new Uint8Array(area * 4);
  const colours = grey ? 1 : 3, alpha = samples > colours;
  if (bits === 8) {
    for (let i = 0; i < area; i++) {
      const s = i * samples, o = i * 4;
      out[o] = data[s];
      out[o + 1] = data[s + (grey ? 0 : 1)];
      out[o + 2] = data[s + (grey ? 0 : 2)];
      out[o + 3] = alpha ? data[s + colours] : 255;
    }
    return out;
  }
  const v16 = (k) => data[2 * k] | (data[2 * k + 1] << 8);
  let max = 0;
  for (let i = 0; i < area; i++) for (let c = 0; c < colours; c++) max = Math.max(max, v16(i * samples + c));
  const shift = Math.max(0, 32 - Math.clz32(max) - 8);
  for (let i = 0; i < area; i++) {
    const s = i * samples, o = i * 4;
    out[o] = v16(s) >> shift;
    out[o + 1] = v16(s + (grey ? 0 : 1)) >> shift;
    out[o + 2] = v16(s + (grey ? 0 : 2)) >> shift;
    out[o + 3] = alpha ? v16(s + colours) >> 8 : 255;
  }
  return out;
}

export async function pngCopy(rgba, width, height) {
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, width * height * 4), width, height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
