// store.js - the review in progress, kept in IndexedDB so that a reload does not lose it.
//   cells: {id, name, ...result}   blobs: id -> the image (Blob)   meta: key -> value (settings)
// Writes are batched: put() queues, and one transaction flushes the queue shortly after.
const DB_NAME = 'bloodcell';
const DB_VERSION = 1;

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
      if (!db.objectStoreNames.contains('cells')) db.createObjectStore('cells', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('blobs')) db.createObjectStore('blobs');
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
    };
    this.db = await req(r);
    return this;
  }

  async load() {
    const tx = this.db.transaction(['cells', 'meta'], 'readonly');
    const cells = await req(tx.objectStore('cells').getAll());
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

  async setMeta(key, value) {
    if (!this.db) return;
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(value, key);
    await done(tx);
    this.onsaved?.();
  }

  async clear() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.cellQueue.clear();
    this.blobQueue.clear();
    if (!this.db) return;
    await this.flushing;
    const tx = this.db.transaction(['cells', 'blobs', 'meta'], 'readwrite');
    tx.objectStore('cells').clear();
    tx.objectStore('blobs').clear();
    await done(tx);
  }
}
