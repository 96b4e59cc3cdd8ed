// Generates web/sw.js with Workbox: precaches the whole app (html, js, css, wasm, model, map data,
// examples, icons, manifest), each URL revisioned by the MD5 of its content, so that a changed file
// makes a new service worker, which the page offers with an "update available" prompt.
//   node scripts/web/build_sw.mjs [--root web]
import { generateSW } from 'workbox-build';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const i = args.indexOf('--root');
const root = resolve(i >= 0 ? args[i + 1] : new URL('../../web', import.meta.url).pathname);

const { count, size, warnings } = await generateSW({
  globDirectory: root,
  globPatterns: ['**/*.{html,js,css,wasm,bin,json,webp,jpg,png,webmanifest,md}'],
  // worker.js and the modules it imports reach the page only inside engine-worker.js (build_worker.mjs).
  globIgnores: ['sw.js', 'sw.js.map', 'workbox-*.js', 'examples/README.md', 'worker.js', 'refmap.js', 'decode.js', 'engine/engine.js', 'engine/bloodcell.js'],
  swDest: `${root}/sw.js`,
  maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
  // The page asks the waiting worker to take over (the "update available" prompt).
  skipWaiting: false,
  clientsClaim: true,
  cleanupOutdatedCaches: true,
  navigateFallback: 'index.html',
  navigateFallbackDenylist: [/\/[^/?]+\.(?!html)[^/?.]+$/],
  ignoreURLParametersMatching: [/.*/],
  inlineWorkboxRuntime: true,
  sourcemap: false,
  mode: 'production',
});
for (const w of warnings) console.warn(`build_sw: ${w}`);
console.log(`build_sw: ${root}/sw.js precaches ${count} files, ${(size / 1024).toFixed(0)} KiB`);
