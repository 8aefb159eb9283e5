// The storyboard UI with issue 14's 32,571 shots (item 10): how many cards the page holds, how long
// the browser takes from the storyboard's response to the first card, and how long keyboard
// navigation, a delete and its undo take. Prints Markdown rows for docs/BENCHMARKS.md.
//   cargo build -p storyloom --features server && npm --prefix ui run build
//   STORYLOOM_BIN=target/debug/storyloom node benches/storyboard_ui.mjs [shots]
// The server's own read time is printed too, but is the server's (see its benchmark), not the UI's.
import { api, launchBrowser, makeDataDir, removeDir, startServer } from '../tests/e2e/browser/harness.mjs';

const SHOTS = Number(process.argv[2] ?? 32_571);
const PER_SCENE = 20;

function script(total) {
  let text = 'Title: Bench\n\n';
  for (let n = 0, scene = 1; n < total; scene++) {
    text += `INT. ROOM ${scene} - DAY\n\n`;
    for (let k = 1; k <= PER_SCENE && n < total; k++, n++) text += `Beat ${scene}.${k} happens here.\n\n`;
  }
  return text;
}

const ms = (t) => `${Math.round(performance.now() - t)} ms`;

const dir = makeDataDir();
const server = await startServer(dir);
const browser = await launchBrowser();
try {
  const p = (await api(server, 'POST', '/api/v1/projects', { name: 'Bench' })).body;
  const saved = await api(server, 'PUT', `/api/v1/projects/${p.id}/versions/${p.current_version_id}/script`, { text: script(SHOTS) });
  if (saved.status !== 200 || saved.body.shot_count !== SHOTS) throw new Error(`parse: ${saved.status} ${saved.body?.shot_count}`);

  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(Number(process.env.BENCH_TIMEOUT_MS ?? 600_000));
  // Rows print as they are measured, so a UI without a step (an older build) still reports the rest.
  console.log(`${SHOTS} shots in ${Math.ceil(SHOTS / PER_SCENE)} scenes, 1400×900 viewport\n`);
  console.log('| step | time / count |\n|---|---|');
  const rows = { push: ([k, v]) => console.log(`| ${k} | ${v} |`) };
  const storyboardResponse = page.waitForResponse((r) => r.url().includes(`/projects/${p.id}/storyboard`));
  let t = performance.now();
  await page.goto(`${server.url}/#/projects/${p.id}/storyboard`);
  const response = await storyboardResponse;
  await response.finished();
  rows.push(['server: GET the storyboard (not the UI)', ms(t)]);
  t = performance.now();
  await page.getByTestId('shot-card').first().waitFor();
  rows.push(['response → first card on screen', ms(t)]);
  rows.push(['cards in the page', String(await page.getByTestId('shot-card').count())]);

  await page.getByTestId('shot-card').first().focus();
  t = performance.now();
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.activeElement?.getAttribute('data-shot-number') === String(n), SHOTS);
  rows.push(['End: the last shot focused and on screen', ms(t)]);
  rows.push(['cards in the page after End', String(await page.getByTestId('shot-card').count())]);

  t = performance.now();
  await page.keyboard.press('Delete');
  await page.waitForFunction((n) => !document.querySelector(`[data-shot-number="${n}"]`), SHOTS);
  rows.push(['Delete: the card gone (optimistic)', ms(t)]);
  t = performance.now();
  await page.keyboard.press('Control+z');
  await page.waitForFunction((n) => document.querySelector(`[data-shot-number="${n}"]`), SHOTS);
  rows.push(['Ctrl+Z: the shot back (restore + re-read)', ms(t)]);

} finally {
  await browser.close();
  await server.stop();
  removeDir(dir);
}
