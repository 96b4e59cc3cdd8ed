// store.js - the samples and their cells, kept in IndexedDB so that a reload does not lose them.
//   samples: {key (auto), id, date, reviewer, ...} (samples.js)
//   cells: {id, sample (its sample's key), name, ...result}, index 'sample'
//   blobs: cell id -> the image (Blob)   meta: key -> value ('current': the sample open last)
//   whole fields: meta 'field:<id>' -> the field record (its sample's key in .sample), blobs
//   'field:<id>' -> the photo and 'fieldview:<id>' -> the reduced copy the field view shows
// Version 1 had one review: cells without a sample, and meta 'threshold'; migrate() moves them into
// a first sample, in one transaction.
// Writes are batched: put() queues, and one transaction flushes the queue shortly after.
const DB_NAME = 'bloodcell';
const DB_VERSION = 2;

function req(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

function done(tx) {
  return new Promise((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });
}

export class Store {
  constructor() {
    this.db = null;
    this.cellQueue = new Map();
    this.blobQueue = new Map();
    this.timer = 0;
    this.flushing = Promise.resolve();
    this.onsaved = null;
  }

  async open() {
    if (!('indexedDB' in self)) throw new Error('IndexedDB is not available');
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      const cells = db.objectStoreNames.contains('cells') ? r.transaction.objectStore('cells') : db.createObjectStore('cells', { keyPath: 'id' });
      if (!cells.indexNames.contains('sample')) cells.createIndex('sample', 'sample');
      if (!db.objectStoreNames.contains('blobs')) db.createObjectStore('blobs');
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      if (!db.objectStoreNames.contains('samples')) db.createObjectStore('samples', { keyPath: 'key', autoIncrement: true });
    };
    // another tab still holding the old version would otherwise wait for this one to be closed
    r.onblocked = () => console.warn('bloodcell: close the other tabs of this app to finish updating its storage');
    this.db = await req(r);
    // and a newer version opened in another tab must not wait for this one
    this.db.onversionchange = () => { this.flush(); this.db.close(); this.db = null; };
    return this;
  }

  // Cells of the old layout (no sample) and its threshold go into a new sample made by make(cells,
  // threshold); nothing happens when there are none and a sample exists. One transaction: all or nothing.
  // Returns the new sample, or null.
  async migrate(make) {
    const tx = this.db.transaction(['samples', 'cells', 'meta'], 'readwrite');
    const samples = tx.objectStore('samples'), cells = tx.objectStore('cells'), meta = tx.objectStore('meta');
    const haveSamples = (await req(samples.count())) > 0;
    const orphans = (await req(cells.getAll())).filter((c) => c.sample === undefined);
    if (haveSamples && !orphans.length) { await done(tx); return null; }
    const sample = make(orphans, await req(meta.get('threshold')) ?? null);
    sample.key = await req(samples.add(sample));
    for (const c of orphans) cells.put({ ...c, sample: sample.key });
    meta.delete('threshold');
    await done(tx);
    this.onsaved?.();
    return sample;
  }

  async samples() {
    const tx = this.db.transaction('samples', 'readonly');
    return req(tx.objectStore('samples').getAll());
  }

  // Adds (no key yet) or replaces a sample record; resolves to its key.
  async putSample(sample) {
    if (!this.db) return sample.key ?? null;
    const tx = this.db.transaction('samples', 'readwrite');
    const key = await req(tx.objectStore('samples').put(sample));
    await done(tx);
    sample.key = key;
    this.onsaved?.();
    return key;
  }

  // The sample, its cells and their images; one transaction.
  deleteSample(key) { return this.clearSample(key, true); }

  async cellCount(key) {
    const tx = this.db.transaction('cells', 'readonly');
    return req(tx.objectStore('cells').index('sample').count(key));
  }

  // The largest cell id of all samples (cell ids are unique across samples: they key the images).
  async maxCellId() {
    const tx = this.db.transaction('cells', 'readonly');
    const cur = await req(tx.objectStore('cells').openKeyCursor(null, 'prev'));
    return cur ? cur.key : 0;
  }

  async load(key) {
    const tx = this.db.transaction(['cells', 'meta'], 'readonly');
    const cells = await req(tx.objectStore('cells').index('sample').getAll(key));
    const metaStore = tx.objectStore('meta');
    const keys = await req(metaStore.getAllKeys());
    const vals = await req(metaStore.getAll());
    const meta = {};
    keys.forEach((k, i) => { meta[k] = vals[i]; });
    return { cells, meta };
  }

  async blob(id) {
    if (this.blobQueue.has(id)) return this.blobQueue.get(id);
    const tx = this.db.transaction('blobs', 'readonly');
    return req(tx.objectStore('blobs').get(id));
  }

  put(cell, blob) {
    if (!this.db) return;
    this.cellQueue.set(cell.id, cell);
    if (blob) this.blobQueue.set(cell.id, blob);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), 300);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.db || (!this.cellQueue.size && !this.blobQueue.size)) return this.flushing;
    const cells = [...this.cellQueue.values()];
    const blobs = [...this.blobQueue.entries()];
    this.cellQueue.clear();
    this.blobQueue.clear();
    const tx = this.db.transaction(['cells', 'blobs'], 'readwrite');
    for (const c of cells) tx.objectStore('cells').put(c);
    for (const [id, b] of blobs) tx.objectStore('blobs').put(b, id);
    this.flushing = done(tx).then(() => this.onsaved?.(), (err) => console.warn('bloodcell: could not save the review', err));
    return this.flushing;
  }

  // A whole field's record, photo and view copy (written at once, not queued: they are written once).
  async putField(field, photo, view) {
    if (!this.db) return;
    const tx = this.db.transaction(['meta', 'blobs'], 'readwrite');
    tx.objectStore('meta').put(field, `field:${field.id}`);
    if (photo) tx.objectStore('blobs').put(photo, `field:${field.id}`);
    if (view) tx.objectStore('blobs').put(view, `fieldview:${field.id}`);
    await done(tx).catch((err) => console.warn('bloodcell: could not save the field', err));
    this.onsaved?.();
  }

  async fields(sampleKey) {
    const tx = this.db.transaction('meta', 'readonly');
    const range = IDBKeyRange.bound('field:', 'field:\uffff');
    return (await req(tx.objectStore('meta').getAll(range))).filter((f) => f.sample === sampleKey);
  }

  // One cell and its image (a deleted detection).
  async remove(id) {
    this.cellQueue.delete(id);
    this.blobQueue.delete(id);
    if (!this.db) return;
    await this.flushing;
    const tx = this.db.transaction(['cells', 'blobs'], 'readwrite');
    tx.objectStore('cells').delete(id);
    tx.objectStore('blobs').delete(id);
    await done(tx).catch((err) => console.warn('bloodcell: could not delete the cell', err));
    this.onsaved?.();
  }

  async getMeta(key) {
    const tx = this.db.transaction('meta', 'readonly');
    return req(tx.objectStore('meta').get(key));
  }

  async setMeta(key, value) {
    if (!this.db) return;
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
    this.onsaved?.();
  }

  // Removes one sample's cells and their images; the sample itself too with withSample.
  async clearSample(key, withSample = false) {
    for (const [id, c] of this.cellQueue) if (c.sample === key) { this.cellQueue.delete(id); this.blobQueue.delete(id); }
    if (!this.db) return;
    await this.flushing;
    const tx = this.db.transaction(['cells', 'blobs', 'samples', 'meta'], 'readwrite');
    const cells = tx.objectStore('cells'), blobs = tx.objectStore('blobs'), meta = tx.objectStore('meta');
    const ids = await req(cells.index('sample').getAllKeys(key));
    for (const id of ids) { cells.delete(id); blobs.delete(id); }
    // its whole fields: records, photos and view copies
    for (const f of await req(meta.getAll(IDBKeyRange.bound('field:', 'field:\uffff')))) {
      if (f.sample !== key) continue;
      meta.delete(`field:${f.id}`); blobs.delete(`field:${f.id}`); blobs.delete(`fieldview:${f.id}`);
    }
    if (withSample) tx.objectStore('samples').delete(key);
    await done(tx);
    this.onsaved?.();
  }
}
