// Script editor responsiveness on a 2 MB paste (issue 14 item 10): a real `storyloom serve` with the
// built UI, system Chromium. Pastes ~2 MB of Chinese script into the Script tab through the
// clipboard (Ctrl+V), times the paste until the size warning shows, then times single ASCII key
// presses at the end of the text; and the same paste and key presses in a bare <textarea> with the
// editor's font and wrapping (the browser's own cost, no page script). Prints Markdown rows.
//
//   npm --prefix ui run build && cargo build -p storyloom --features server
//   STORYLOOM_BIN=$CARGO_TARGET_DIR/debug/storyloom node scripts/bench-script-editor.mjs
import { api, launchBrowser, makeDataDir, removeDir, startServer, waitUntil } from '../tests/e2e/browser/harness.mjs';

const KEYS = 20;

function script(scenes) {
  let s = '';
  for (let i = 1; i <= scenes; i++) {
    s += `场景${i}：咖啡馆${i}号桌 日 内\n△林雪推门而入，看向窗外的雨。\n林雪：第${i}次见面，你还记得我吗？\n陈默：当然记得。\n\n`;
  }
  return s;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.round((s.length - 1) * q)];
  return `${s[0].toFixed(0)} ms | ${at(0.5).toFixed(0)} ms | ${at(0.9).toFixed(0)} ms | ${s[s.length - 1].toFixed(0)} ms`;
}

/** Presses one ASCII key at a time; each is timed until the text holds it. */
async function timeKeys(page, selector) {
  const times = [];
  for (let i = 0; i < KEYS; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const before = await page.evaluate((sel) => document.querySelector(sel).value.length, selector);
    const t0 = performance.now();
    await page.keyboard.press(key);
    await page.waitForFunction(([sel, n]) => document.querySelector(sel).value.length === n, [selector, before + 1], {
      polling: 'raf',
    });
    times.push(performance.now() - t0);
  }
  return times;
}

const text = script(Math.ceil((2 * 1000 * 1000) / 150));
const bytes = Buffer.byteLength(text);
const dir = makeDataDir();
const browser = await launchBrowser();
const server = await startServer(dir);
try {
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  const project = (await api(server, 'POST', '/api/v1/projects', { name: 'Bench' })).body;
  await page.goto(`${server.url}/#/projects/${project.id}`);
  const textarea = page.getByTestId('script-editor');
  await textarea.waitFor();
  await waitUntil(async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'saved', 'loaded');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await textarea.click();
  let t0 = performance.now();
  await page.keyboard.press('Control+V');
  await page.getByTestId('script-size-warning').waitFor();
  const pasteMs = performance.now() - t0;
  await page.keyboard.press('Control+End');
  const app = await timeKeys(page, '[data-testid="script-editor"]');

  // The browser alone: the same text in a bare textarea with the editor's font, with the
  // highlighted editor's wrapping (overflow-wrap: anywhere) and with the plain one's (normal).
  const baseline = {};
  for (const wrap of ['anywhere', 'normal']) {
    const bare = await context.newPage();
    await bare.setContent(
      `<textarea id="t" style="width:700px;height:800px;font-family:monospace;font-size:14px;line-height:1.6;white-space:pre-wrap;overflow-wrap:${wrap}"></textarea>`,
    );
    await bare.click('#t');
    const p0 = performance.now();
    await bare.keyboard.press('Control+V');
    await bare.waitForFunction((n) => document.getElementById('t').value.length === n, text.length, { polling: 'raf' });
    baseline[`paste-${wrap}`] = performance.now() - p0;
    await bare.keyboard.press('Control+End');
    baseline[wrap] = await timeKeys(bare, '#t');
    await bare.close();
  }

  console.log(`Paste: ${text.length.toLocaleString()} characters, ${(bytes / 1e6).toFixed(2)} MB; Ctrl+V until the size warning shows: ${pasteMs.toFixed(0)} ms\n`);
  console.log(
    `Bare textarea, Ctrl+V until it holds the text: ${baseline['paste-anywhere'].toFixed(0)} ms (overflow-wrap: anywhere), ${baseline['paste-normal'].toFixed(0)} ms (normal)\n`,
  );
  console.log('| key press (until the textarea holds it) | n | min | median | p90 | max |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| Script tab, after the paste | ${KEYS} | ${stats(app)} |`);
  console.log(`| bare textarea, same text, overflow-wrap: anywhere | ${KEYS} | ${stats(baseline.anywhere)} |`);
  console.log(`| bare textarea, same text, overflow-wrap: normal | ${KEYS} | ${stats(baseline.normal)} |`);
  await context.close();
} finally {
  await server.stop();
  await browser.close();
  removeDir(dir);
}
