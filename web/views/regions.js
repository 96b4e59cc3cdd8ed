// regions.js - the class regions drawn under the reference map: where on the map each class's
// reference cells lie. Computed in the page from reference-map.json's points, once per map:
//   1. a GRID x GRID grid over the map's unit square and a MARGIN around it (so that a region of
//      points at the edge fades out instead of ending in a straight cut); each reference point adds
//      1 to its class's count in the grid cell it falls in;
//   2. each class's counts are smoothed with a Gaussian kernel (sigma SIGMA grid cells, separable,
//      cut at 3 sigma): a per-class density estimate;
//   3. a grid cell takes the class with the highest density, drawn with an opacity that grows with
//      that class's share of the total density there (faint where classes mix) and with the total
//      density up to FULL_DENSITY (so a region fades out at its edge); cells whose total density is
//      below MIN_DENSITY (a twentieth of one lone point's peak) stay empty, so the regions do not
//      claim the map's empty space.
// The grid is drawn as a small image scaled up with smoothing, which softens the cell edges, and
// faded out over the canvas's padding, where the canvas ends.
// t-SNE places similar cells near each other, so a region says "reference cells of this class lie
// here", not a decision boundary of the classifier (docs/counting.md).
export const GRID = 70;
export const MARGIN = 0.05;       // of the map's width, each side: the points' density reaches past the unit square
export const SIGMA = 1.3;
const PEAK = 1 / (2 * Math.PI * SIGMA * SIGMA);     // the density a lone point gives its own grid cell
const MIN_DENSITY = 0.05 * PEAK;
const FULL_DENSITY = 0.6 * PEAK;
const MAX_ALPHA = 0.32;

let cache = { map: null, regions: null };

// -> {grid, label: Int16Array(GRID*GRID) (-1: empty), share, total: Float32Array}
export function classRegions(map) {
  if (cache.map === map) return cache.regions;
  const K = map.classes.length, n = GRID * GRID;
  const dens = Array.from({ length: K }, () => new Float32Array(n));
  for (const p of map.points) {
    if (!(p.label >= 0 && p.label < K) || !Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const gx = Math.min(GRID - 1, Math.max(0, Math.floor(((p.x + MARGIN) / (1 + 2 * MARGIN)) * GRID)));
    const gy = Math.min(GRID - 1, Math.max(0, Math.floor(((p.y + MARGIN) / (1 + 2 * MARGIN)) * GRID)));
    dens[p.label][gy * GRID + gx] += 1;
  }
  const kernel = gaussian(SIGMA);
  for (const d of dens) blur(d, kernel);
  const label = new Int16Array(n).fill(-1);
  const share = new Float32Array(n), total = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -1, bv = 0, sum = 0;
    for (let k = 0; k < K; k++) { const v = dens[k][i]; sum += v; if (v > bv) { bv = v; best = k; } }
    if (sum >= MIN_DENSITY && best >= 0) { label[i] = best; share[i] = bv / sum; total[i] = sum; }
  }
  cache = { map, regions: { grid: GRID, label, share, total } };
  return cache.regions;
}

function gaussian(sigma) {
  const r = Math.ceil(3 * sigma);
  const k = new Float32Array(2 * r + 1);
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)) / (Math.sqrt(2 * Math.PI) * sigma);
  return k;
}

// In place, rows then columns; outside the grid counts as zero.
function blur(d, k) {
  const r = (k.length - 1) >> 1, tmp = new Float32Array(d.length);
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) { const xx = x + j; if (xx >= 0 && xx < GRID) s += k[j + r] * d[y * GRID + xx]; }
      tmp[y * GRID + x] = s;
    }
  }
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) { const yy = y + j; if (yy >= 0 && yy < GRID) s += k[j + r] * tmp[yy * GRID + x]; }
      d[y * GRID + x] = s;
    }
  }
}

// Draws the regions into ctx for the map's unit square at [x0, x0 + side] x [y0, y0 + side] in CSS
// px, on a square canvas with x0 of padding on each side (drawScatter's): the grid covers the
// padding too and fades to nothing at the canvas's edge. colour(k) -> '#rrggbb'. Returns the
// number of grid cells drawn.
export function drawRegions(ctx, map, x0, y0, side, colour) {
  const { grid, label, share, total } = classRegions(map);
  const img = new ImageData(grid, grid);
  const rgb = map.classes.map((_, k) => hexRgb(colour(k)));
  let drawn = 0;
  for (let i = 0; i < label.length; i++) {
    const k = label[i];
    if (k < 0) continue;
    const [r, g, b] = rgb[k];
    const mixed = Math.min(1, Math.max(0.15, (share[i] - 0.25) / 0.5));     // 1 where one class has 3/4 or more
    const edge = Math.min(1, total[i] / FULL_DENSITY);
    img.data.set([r, g, b, Math.round(255 * MAX_ALPHA * mixed * edge)], 4 * i);
    drawn++;
  }
  const small = document.createElement('canvas');
  small.width = grid;
  small.height = grid;
  small.getContext('2d').putImageData(img, 0, 0);
  // On a layer of the canvas's size: the grid scaled up, then its alpha multiplied by a ramp from
  // 0 at each edge of the canvas to 1 at the unit square (two destination-in gradients).
  const W = 2 * x0 + side, k = ctx.getTransform().a || 1, m = MARGIN * side;
  const layer = document.createElement('canvas');
  layer.width = Math.round(W * k);
  layer.height = Math.round(W * k);
  const lc = layer.getContext('2d');
  lc.setTransform(k, 0, 0, k, 0, 0);
  lc.imageSmoothingEnabled = true;
  lc.imageSmoothingQuality = 'high';
  lc.drawImage(small, x0 - m, y0 - m, side + 2 * m, side + 2 * m);
  lc.globalCompositeOperation = 'destination-in';
  const f = Math.min(0.5, x0 / W);
  for (const g of [lc.createLinearGradient(0, 0, W, 0), lc.createLinearGradient(0, 0, 0, W)]) {
    g.addColorStop(0, 'rgb(0 0 0 / 0)');
    g.addColorStop(f, '#000');
    g.addColorStop(1 - f, '#000');
    g.addColorStop(1, 'rgb(0 0 0 / 0)');
    lc.fillStyle = g;
    lc.fillRect(0, 0, W, W);
  }
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(layer, 0, 0);
  ctx.restore();
  return drawn;
}

function hexRgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [142, 142, 147];
}
