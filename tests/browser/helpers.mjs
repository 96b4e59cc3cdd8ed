// Shared setup for the real-browser tests: the real server on a free loopback port and Debian's
// Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

export const root = new URL('../../', import.meta.url).pathname;

export async function startServer() {
  const proc = spawn('node', [root + 'scripts/serve.mjs', '--root', root + 'web', '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => { buf += d; const m = buf.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/); if (m) resolve(m[1]); });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, close: () => proc.kill() };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync', '--disable-component-update', '--no-first-run'],
  });
}
