// boot.js - the module face of start.js (the engine workers, the model and wasm it started).
// index.html runs start.js before any module; a page that did not gets it run here.
if (!self.bloodcellBoot) await import('./start.js');

export const { MODEL_URL, WASM_URL, MAP_URL, POOL_SIZE, workers, spawn, attach } = self.bloodcellBoot;
