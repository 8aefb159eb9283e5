// Script editor responsiveness on a 2 MB paste (issue 14 item 10): a real `storyloom serve` with the
// built UI, system Chromium. Pastes ~2 MB of Chinese script into the Script tab through the
// clipboard (Ctrl+V), times the paste until the size warning shows, then times single ASCII key
// presses at the end of the text and at its start (each until the editor's document holds it: the
// frame's `data-length`, polled every animation frame, so a key's layout and paint are counted);
// and the same paste and key presses in a bare <textarea> with the editor's font and wrapping (the
// browser's own cost for the whole text, no page script). Prints Markdown rows, and how many lines
// the editor's DOM holds after the paste.
//
//   npm --prefix ui run build && cargo build -p storyloom --features server
//   STORYLOOM_BIN=$CARGO_TARGET_DIR/debug/storyloom node scripts/bench-script-editor.mjs
// (The server only serves ui/dist and stores the text: any recent build of it will do.)
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

/** The text's length in the page: the script editor's `data-length`, or a textarea's value. */
function textLength(selector) {
  const el = document.querySelector(selector);
  return el instanceof HTMLTextAreaElement ? el.value.length : Number(el.getAttribute('data-length'));
}

/**
 * In the page: from each keydown to the end of the next frame (a task posted from the frame's
 * requestAnimationFrame runs after its layout and paint): the key's cost without Playwright's
 * round trips.
 */
function installPaintProbe() {
  window.__benchKeyToPaint = [];
  document.addEventListener(
    'keydown',
    (e) => {
      const t0 = e.timeStamp;
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => window.__benchKeyToPaint.push(performance.now() - t0);
        ch.port2.postMessage(null);
      });
    },
    true,
  );
}

/**
 * Presses one ASCII key at a time; each is timed until the text holds it (from Playwright,
 * `times`), and in the page from its keydown to the end of the next frame (`paint`).
 */
async function timeKeys(page, selector) {
  const times = [];
  if (!(await page.evaluate(() => Boolean(window.__benchKeyToPaint)))) await page.evaluate(installPaintProbe);
  // Let the keys before (Ctrl+End) finish their frames, then count from zero.
  await page.evaluate(
    () =>
      new Promise((resolve) =>
        requestAnimationFrame(() =>
          setTimeout(() => {
            window.__benchKeyToPaint.length = 0;
            resolve();
          }, 100),
        ),
      ),
  );
  for (let i = 0; i < KEYS; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const before = await page.evaluate(textLength, selector);
    const t0 = performance.now();
    await page.keyboard.press(key);
    await page.waitForFunction(
      ([sel, n]) => {
        const el = document.querySelector(sel);
        return (el instanceof HTMLTextAreaElement ? el.value.length : Number(el.getAttribute('data-length'))) === n;
      },
      [selector, before + 1],
      { polling: 'raf' },
    );
    times.push(performance.now() - t0);
  }
  await page.waitForFunction((n) => window.__benchKeyToPaint.length >= n, KEYS);
  const paint = await page.evaluate(() => window.__benchKeyToPaint.slice());
  return { times, paint };
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
  const editor = page.getByTestId('script-editor');
  await editor.waitFor();
  await waitUntil(async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'saved', 'loaded');
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await editor.click();
  let t0 = performance.now();
  await page.keyboard.press('Control+V');
  await page.getByTestId('script-size-warning').waitFor();
  const pasteMs = performance.now() - t0;
  const frame = '[data-testid="script-editor-frame"]';
  const held = await page.evaluate(textLength, frame);
  if (held !== text.length) throw new Error(`the editor holds ${held} characters, not ${text.length}`);
  await page.keyboard.press('Control+End');
  const app = await timeKeys(page, frame);
  const domLines = await page.locator('[data-testid="script-editor"] .cm-line').count();
  await page.keyboard.press('Control+Home');
  const appTop = await timeKeys(page, frame);

  // The browser alone: the same text in a bare textarea with the editor's font, with the
  // highlighted editor's wrapping (overflow-wrap: anywhere) and with the plain one's (normal).
  const baseline = {};
  // The floor: Playwright's round trips and a frame, a textarea holding one short line.
  {
    const bare = await context.newPage();
    await bare.setContent('<textarea id="t" style="width:700px;height:800px">one short line</textarea>');
    await bare.click('#t');
    baseline.short = await timeKeys(bare, '#t');
    await bare.close();
  }
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

  console.log(`Paste: ${text.length.toLocaleString()} characters, ${text.split('\n').length.toLocaleString()} lines, ${(bytes / 1e6).toFixed(2)} MB; Ctrl+V until the size warning shows: ${pasteMs.toFixed(0)} ms\n`);
  console.log(`Lines in the editor's DOM after the paste (at the end of the text): ${domLines}\n`);
  console.log(
    `Bare textarea, Ctrl+V until it holds the text: ${baseline['paste-anywhere'].toFixed(0)} ms (overflow-wrap: anywhere), ${baseline['paste-normal'].toFixed(0)} ms (normal)\n`,
  );
  const rows = [
    ['Script tab, after the paste, at the end', app],
    ['Script tab, after the paste, at the start', appTop],
    ['bare textarea, same text, overflow-wrap: anywhere', baseline.anywhere],
    ['bare textarea, same text, overflow-wrap: normal', baseline.normal],
    ['bare textarea, one short line (the floor)', baseline.short],
  ];
  for (const [what, unit] of [
    ['times', 'key press, until the text holds it (Playwright)'],
    ['paint', 'key press, keydown to the end of the next frame (in the page)'],
  ]) {
    console.log(`| ${unit} | n | min | median | p90 | max |`);
    console.log('|---|---|---|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r[what].length} | ${stats(r[what])} |`);
    console.log('');
  }
  await context.close();
} finally {
  await server.stop();
  await browser.close();
  removeDir(dir);
}
