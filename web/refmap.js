// refmap.js - the reference-cell map rule, exactly as documented in reference-map.json (knn.rule):
//   q = embedding / ||embedding|| (all-zero if the norm is 0); s_i = dot(q, r_i) for every reference row
//   (float16 -> float32, already L2-normalised); the k rows with the largest s_i (ties: lower index first);
//   position = sum(w_i * xy_i) / sum(w_i) with w_i = max(s_i, 0) (plain mean if all w_i are 0);
//   OOD score = 1 - mean(s_i) over those k; flagged when score > ood.threshold.
// Pure functions: used by the worker, and testable in node.

// IEEE 754 half -> float.
export function halfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// Little-endian float16 rows -> one Float32Array (n * dim). Normal numbers are converted by moving
// the bits (exact, like halfToFloat); zeros, subnormals, infinities and NaN go through halfToFloat.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export function decodeEmbeddings(buffer, n, dim) {
  const count = n * dim;
  if (buffer.byteLength < count * 2) throw new Error(`reference embeddings: ${buffer.byteLength} bytes, expected ${count * 2}`);
  const out = new Float32Array(count);
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(buffer);
    for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    return out;
  }
  const half = new Uint16Array(buffer, 0, count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    const h = half[i];
    const e = h & 0x7c00;
    if (e === 0 || e === 0x7c00) out[i] = halfToFloat(h);
    // sign to bit 31; exponent rebiased from 15 to 127 (+112 << 10 before the shift); mantissa 10 -> 23 bits
    else bits[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) + 0x1c000) << 13);
  }
  return out;
}

// Checks a parsed reference-map.json against what the loaded engine produces; returns an error string or ''.
export function checkMap(map, embeddingDim, modelName) {
  if (!map || map.schema !== 'bloodcell-reference-map-1') return 'unknown reference map format';
  if (modelName && map.model?.name && map.model.name !== modelName) return `the reference map was built for the model "${map.model.name}", not "${modelName}"`;
  const [n, dim] = map.embeddings.shape;
  if (dim !== embeddingDim) return `the reference map was built for a model with ${dim}-dimensional embeddings; this model has ${embeddingDim}`;
  if (n !== map.points.length) return 'reference map points and embeddings differ in number';
  return '';
}

export class RefMap {
  // map: parsed reference-map.json; emb: Float32Array from decodeEmbeddings.
  constructor(map, emb) {
    this.n = map.points.length;
    this.dim = map.embeddings.shape[1];
    this.k = Math.min(map.knn.k, this.n);
    this.threshold = map.ood.threshold;
    this.emb = emb;
    this.x = Float64Array.from(map.points, (p) => p.x);
    this.y = Float64Array.from(map.points, (p) => p.y);
    this.labels = Int32Array.from(map.points, (p) => p.label);
    this.sims = new Float64Array(this.n);
  }

  // embedding: Float32Array(dim). Returns {x, y, score, flagged, neighbours: [index...]}.
  place(embedding) {
    const { n, dim, k, emb, sims } = this;
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += embedding[j] * embedding[j];
    norm = Math.sqrt(norm);
    const inv = norm > 0 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * dim;
      for (let j = 0; j < dim; j++) s += embedding[j] * inv * emb[o + j];
      sims[i] = s;
    }
    // Top k by similarity, ties to the lower index: a stable selection over indices.
    const top = [];
    for (let i = 0; i < n; i++) {
      if (top.length < k) { insert(top, i, sims); continue; }
      if (sims[i] > sims[top[k - 1]]) { top.pop(); insert(top, i, sims); }
    }
    let ws = 0, wx = 0, wy = 0, ss = 0, mx = 0, my = 0;
    for (const i of top) {
      const w = Math.max(sims[i], 0);
      ws += w; wx += w * this.x[i]; wy += w * this.y[i];
      ss += sims[i]; mx += this.x[i]; my += this.y[i];
    }
    const x = ws > 0 ? wx / ws : mx / top.length;
    const y = ws > 0 ? wy / ws : my / top.length;
    const score = 1 - ss / top.length;
    return { x, y, score, flagged: score > this.threshold, neighbours: top };
  }
}

// Inserts index i into top (sorted by descending similarity, equal similarities keep index order).
function insert(top, i, sims) {
  let p = top.length;
  while (p > 0 && sims[top[p - 1]] < sims[i]) p--;
  top.splice(p, 0, i);
}
