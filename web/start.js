// start.js - the page's first script: starts the engine while everything else still loads.
// index.html runs it as a classic script at the top of <head>: it runs as soon as it arrives, ahead
// of the first style and layout and of the module graph (an async module script waits behind them:
// ~100 ms on a first visit here). boot.js gives its API to the modules. It
//   - fetches the model, and compiles the wasm with WebAssembly.compileStreaming (compiled while it
//     downloads; the form that Chromium's wasm code cache works with); index.html preloads both,
//   - starts the first engine worker, which gets the model bytes and the compiled module,
//   - starts more workers on demand (pool.js), up to POOL_SIZE, from the same bytes and module.
// Messages that arrive before app.js attaches are kept.
'use strict';
(() => {
  if (self.bloodcellBoot) return;
  const BASE = document.currentScript ? document.currentScript.src : document.baseURI;   // start.js sits beside index.html
  const MODEL_URL = new URL('models/bloodcell.bin', BASE).href;
  const WASM_URL = new URL('engine/bloodcell.wasm', BASE).href;
  const MAP_URL = new URL('models/reference-map.json', BASE).href;
  const WORKER_URL = new URL('engine-worker.js', BASE);   // worker.js and its imports in one file (scripts/web/build_worker.mjs)

  // Workers in the pool: ?workers=N (1..16), else min(hardwareConcurrency, 4).
  const POOL_SIZE = (() => {
    const p = new URLSearchParams(location.search).get('workers');
    const n = p === null ? NaN : Number(p);
    if (Number.isInteger(n) && n >= 1 && n <= 16) return n;
    return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
  })();

  async function compileWasm() {
    try {
      return await WebAssembly.compileStreaming(fetch(WASM_URL));
    } catch {
      // Served with another MIME type, or no streaming compile: compile from the bytes.
      try {
        const res = await fetch(WASM_URL);
        return res.ok ? await WebAssembly.compile(await res.arrayBuffer()) : null;
      } catch { return null; }
    }
  }
  const modelBytes = fetch(MODEL_URL).then((r) => (r.ok ? r.arrayBuffer() : null), () => null).then((b) => { performance.mark('bloodcell-model'); return b; });
  const wasm = compileWasm().then((m) => { performance.mark('bloodcell-wasm'); return m; });
  Promise.all([modelBytes, wasm]).then(() => performance.mark('bloodcell-assets'));

  // One worker: {worker, index, ready (engine loaded), failed, inflight}. Its messages go to the
  // handler app.js attaches (kept until then).
  const workers = [];
  let handler = null;
  const early = [];

  function spawn() {
    const entry = { worker: new Worker(WORKER_URL, { type: 'module' }), index: workers.length, ready: false, failed: false, inflight: 0 };
    workers.push(entry);
    const deliver = (m) => { if (handler) handler.onMessage(m, entry); else early.push([m, entry]); };
    entry.worker.onmessage = (e) => deliver(e.data);
    entry.worker.onerror = (e) => { e.preventDefault?.(); deliver({ type: 'crash', error: e.message || 'the engine worker failed' }); };
    // The compiled wasm goes as soon as it is ready (the worker instantiates it while the model may
    // still be downloading), the model when it is here. If a fetch failed, the worker fetches again
    // and reports the error in its own words.
    wasm.then((module) => entry.worker.postMessage(module ? { type: 'init', mapUrl: MAP_URL, module }
      : { type: 'init', mapUrl: MAP_URL, wasmUrl: WASM_URL }));
    modelBytes.then((model) => {
      if (!model) { entry.worker.postMessage({ type: 'model', modelUrl: MODEL_URL }); return; }
      const copy = model.slice(0);
      entry.worker.postMessage({ type: 'model', model: copy }, [copy]);
    });
    return entry;
  }

  performance.mark('bloodcell-boot');
  spawn();

  // onMessage(message, workerEntry) receives every worker's messages, those kept so far first.
  function attach(onMessage) {
    handler = { onMessage };
    for (const [m, entry] of early.splice(0)) onMessage(m, entry);
  }

  self.bloodcellBoot = { MODEL_URL, WASM_URL, MAP_URL, POOL_SIZE, workers, spawn, attach };
})();
