// pool.js - the engine workers (started by start.js) as one classifier: a request goes to the ready
// worker with the fewest requests in flight. The first worker's messages decide when the page is
// ready and whether the reference map works; more workers join when a batch starts (grow()).
// A worker that fails (engine or map load, or a crash) is left out, and what it had in flight is
// answered with an error so that no request waits forever.
import { workers, spawn, attach, POOL_SIZE } from './boot.js';

export const PER_WORKER = 2;     // requests in flight per worker: one running, one queued behind it

export class Pool {
  // on: {ready(info, timing), error(message), map(msg), change()}
  constructor(on) {
    this.on = on;
    this.pending = new Map();    // request id -> {resolve, entry}
    this.next = 0;
    this.primary = workers[0];
    this.size = POOL_SIZE;
  }

  // Starts taking the workers' messages (those that came before first).
  attach() { attach((m, entry) => this.message(m, entry)); }

  message(m, entry) {
    if (m.type === 'ready') {
      entry.loaded = true;
      if (entry === this.primary) {
        entry.ready = true;
        this.on.ready(m.info, m.timing);
      } else this.check(entry);
      this.on.change();
    } else if (m.type === 'error' || m.type === 'crash') {
      const wasReady = entry.ready;
      this.retire(entry, m.error);
      if (entry === this.primary && !wasReady) this.on.error(m.error);
    } else if (m.type === 'map') {
      entry.map = m;
      if (entry === this.primary) {
        this.primaryMap = m;
        this.on.map(m);
        for (const w of workers) this.check(w);
      } else this.check(entry);
    } else if (m.type === 'result' || m.type === 'heap') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.entry.inflight--;
      if (m.type === 'result') p.entry.done = (p.entry.done || 0) + 1;
      p.resolve(m.type === 'heap' ? m.bytes : m.result);
      this.on.change();
    }
  }

  // A worker other than the first is used once its engine and map are loaded, and only if its map
  // loaded exactly when the first worker's did (so every result carries the same fields).
  check(entry) {
    if (entry === this.primary || entry.failed || entry.ready || !entry.loaded || !entry.map || !this.primaryMap) return;
    if (entry.map.ok !== this.primaryMap.ok) { this.retire(entry, entry.map.error || 'its reference map loaded, the first worker\'s did not'); return; }
    entry.ready = true;
    this.on.change();
  }

  retire(entry, why) {
    entry.ready = false;
    entry.failed = true;
    if (entry !== this.primary) console.warn(`bloodcell: engine worker ${entry.index} left out: ${why}`);
    for (const [id, p] of this.pending) {
      if (p.entry !== entry) continue;
      this.pending.delete(id);
      p.resolve({ ok: false, error: `the engine stopped (${why})` });
    }
    if (entry !== this.primary) entry.worker.terminate();
    this.on.change();
  }

  // Starts the workers still missing, up to the pool size.
  grow() {
    while (workers.filter((w) => !w.failed).length < this.size && workers.length < this.size * 2) spawn();
  }

  ready() { return workers.filter((w) => w.ready); }
  capacity() { return this.ready().length * PER_WORKER; }
  inflight() { return this.ready().reduce((a, w) => a + w.inflight, 0); }

  // bytes: an ArrayBuffer (transferred). Resolves to the worker's result.
  classify(bytes, cam, careful = false) {
    const list = this.ready();
    if (!list.length) return Promise.resolve({ ok: false, error: 'model not loaded' });
    let best = list[0];
    for (const w of list) if (w.inflight < best.inflight) best = w;
    return this.send(best, { type: 'classify', bytes, cam, careful }, [bytes]);
  }

  // A whole-field photo (worker.js 'field'): mode 'auto' or 'fields'. Resolves to the worker's result.
  field(bytes, mode, cam, careful = false) {
    const best = this.least();
    if (!best) return Promise.resolve({ ok: false, error: 'model not loaded' });
    return this.send(best, { type: 'field', bytes, mode, cam, careful }, [bytes]);
  }

  // One box of a field: sent to the worker that decoded that field last while it is still ready (it
  // keeps the decoded field for a while), else to the least busy one.
  fieldCell(key, bytes, box, cam, careful = false) {
    const list = this.ready();
    const held = list.find((w) => w.field === key);
    const best = held || this.least();
    if (!best) return Promise.resolve({ ok: false, error: 'model not loaded' });
    for (const w of list) if (w.field === key) w.field = null;
    best.field = key;
    return this.send(best, { type: 'fieldcell', key, bytes, box, cam, careful }, [bytes]);
  }

  least() {
    const list = this.ready();
    let best = list[0] || null;
    for (const w of list) if (w.inflight < best.inflight) best = w;
    return best;
  }

  send(entry, msg, transfer = []) {
    return new Promise((resolve) => {
      const id = this.next++;
      this.pending.set(id, { resolve, entry });
      entry.inflight++;
      entry.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  // Results answered by each worker so far (benchmarks and tests).
  stats() { return workers.map((w) => ({ index: w.index, ready: w.ready, failed: w.failed, done: w.done || 0 })); }

  // The wasm heap of each ready worker, in bytes.
  heaps() { return Promise.all(this.ready().map((w) => this.send(w, { type: 'heap' }))); }
}
