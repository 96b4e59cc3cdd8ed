// The machine code V8's TurboFan makes of our wasm kernels, in the same Chromium the race runs in.
//   node scripts/bench/trace_kernels.mjs WASM [FUNCTION...]     (make trace-kernels)
// WASM is the engine built with --profiling-funcs (function names kept; the code is the same).
// Chromium's release build prints no code for --print-wasm-code, so this compiles the module with
// --perf-prof (V8 writes every function's code to a jitdump file), --no-liftoff and eager compilation,
// reads the jitdump, disassembles each named function with objdump, and prints its hottest loop: the
// innermost one holding pmaddwd (i32x4.dot_i16x8_s), with its instruction count per iteration.
// The full listings land in build/trace/<function>.s.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const [wasmArg, ...wanted] = process.argv.slice(2);
const wasmPath = wasmArg && resolve(wasmArg);
if (!wasmArg) { console.error('usage: trace_kernels.mjs WASM [FUNCTION...]'); process.exit(2); }
const funcs = wanted.length ? wanted : ['bc_qc8_igemm_4x8c2__wasmsimd', 'bc_qc8_wino2x3_gemm_4x8c2__wasmsimd'];
const outDir = join(root, 'build/trace');
mkdirSync(outDir, { recursive: true });

// V8 writes jit-<pid>.dump into the renderer's working directory: a fresh one, single process.
const work = mkdtempSync(join(tmpdir(), 'bc-trace-'));
process.chdir(work);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--single-process', '--no-zygote',
    '--js-flags=--perf-prof --no-liftoff --no-wasm-lazy-compilation'] });
const page = await browser.newPage();
const bytes = [...readFileSync(wasmPath)];
await page.evaluate(async (b) => { await WebAssembly.compile(new Uint8Array(b)); }, bytes);
await browser.close();
const dump = readdirSync(work).find((f) => /^jit-\d+\.dump$/.test(f));
if (!dump) { console.error('trace_kernels: V8 wrote no jitdump (is --perf-prof available in this Chromium?)'); process.exit(1); }

// jitdump: a header, then records {id u32, size u32, timestamp u64}; id 0 = code load:
// pid u32, tid u32, vma u64, code address u64, code size u64, index u64, name NUL, code bytes.
const d = readFileSync(join(work, dump));
const code = new Map();
for (let off = d.readUInt32LE(8); off + 16 <= d.length;) {
  const id = d.readUInt32LE(off), size = d.readUInt32LE(off + 4);
  if (!size) break;
  if (id === 0) {
    const csize = Number(d.readBigUInt64LE(off + 16 + 24));
    const p = off + 16 + 40, e = d.indexOf(0, p);
    code.set(d.toString('utf8', p, e), d.subarray(e + 1, e + 1 + csize));
  }
  off += size;
}
const chromiumVersion = execFileSync('/usr/bin/chromium', ['--version']).toString().trim();
console.log(`${chromiumVersion}; ${code.size} functions in the jitdump`);
for (const f of funcs) {
  const name = [...code.keys()].find((k) => k.includes(`${f}-`) || k.endsWith(f));
  if (!name) { console.log(`${f}: not in the jitdump`); continue; }
  const bin = join(work, `${f}.bin`);
  writeFileSync(bin, code.get(name));
  const asm = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', '--no-show-raw-insn', bin]).toString();
  writeFileSync(join(outDir, `${f}.s`), asm);
  const ins = asm.split('\n').map((l) => l.match(/^\s*([0-9a-f]+):\s+(.*)$/)).filter(Boolean).map((m) => ({ at: parseInt(m[1], 16), text: m[2].trim() }));
  // loops: backward jumps; the innermost one around a pmaddwd
  let best = null;
  for (const [i, x] of ins.entries()) {
    const m = x.text.match(/^j\w+\s+0x([0-9a-f]+)/);
    if (!m) continue;
    const target = parseInt(m[1], 16);
    if (target >= x.at) continue;
    const body = ins.filter((y) => y.at >= target && y.at <= x.at);
    if (!body.some((y) => /pmaddwd/.test(y.text))) continue;
    if (!best || body.length < best.body.length) best = { body, end: i };
  }
  console.log(`\n${f} (${name}, ${code.get(name).length} bytes of code): listing in build/trace/${f}.s`);
  if (!best) { console.log('  no loop with pmaddwd'); continue; }
  const count = (re) => best.body.filter((y) => re.test(y.text)).length;
  console.log(`  innermost pmaddwd loop: ${best.body.length} instructions per iteration: ${count(/pmaddwd/)} pmaddwd, ` +
    `${count(/paddd/)} paddd, ${count(/^v?mov[dq]?u?p?s?\s.*\(|^v?movdq[au]\s.*\(|^v?movss\s.*\(|^v?(p?broadcast|movd)\w*\s.*\(/)} loads/stores, ` +
    `${count(/^v?pshufd|^v?pbroadcast|^v?vbroadcast/)} splats`);
  for (const y of best.body) console.log(`    ${y.at.toString(16).padStart(5)}  ${y.text}`);
}
