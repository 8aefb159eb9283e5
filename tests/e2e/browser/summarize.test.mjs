// Browser end-to-end test of reference-video analysis (docs/SUMMARIZE.md) against the real
// `storyloom serve`, ffmpeg and headless Chromium. No AI model is configured, so a video with a
// subtitle track is summarised offline (extractive), for free. The video is made here with ffmpeg
// (24 s, a mov_text track of six cues) and served by a small HTTP server on 127.0.0.1, beside an
// address that answers 404.
//   1. In the project editor's Script tab, "Analyze a reference video": the beat sheet (hook,
//      setup, reversal, cliffhanger with their times), 0 credits, the mind map as a tree; "Start a
//      script from these beats" puts the draft in the editor and the autosave stores it; the
//      analysis is in the project's history.
//   2. The "Reference videos" page: a batch of 21 addresses is refused before anything is sent; a
//      batch of the video and the 404 address ends `partial` with the 404's error and code; the
//      history lists the finished summary; delete it, Undo from the toast, and it is back.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/summarize.test.mjs
// Same prerequisites as the other browser tests (server binary, ui/dist, playwright-core,
// Chromium), plus ffmpeg on PATH (or STORYLOOM_FFMPEG).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  editorShows,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  shoot,
  startServer,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
/** A bound on one analysis (fetch, probe, read the subtitle track, summarise, save): ~1 s here. */
const ANALYSIS_MS = 60_000;

const FFMPEG = process.env.STORYLOOM_FFMPEG || 'ffmpeg';

/** The six cues of the reference video, `[start, end, text]` in seconds. */
const CUES = [
  [0, 2.5, 'She wakes up in the hospital.'],
  [3, 6, 'Her sister signs the contract for the family company.'],
  [8, 11, 'The lawyer reads the contract to the family.'],
  [12, 15, 'But the contract in her hand is a fake contract.'],
  [17, 20, 'She tears the contract and walks out.'],
  [21, 24, 'The door opens and her husband is alive.'],
];

/** The beat sheet the extractive summariser makes of CUES (docs/SUMMARIZE.md, "Summaries"). */
const EXPECTED_BEATS = [
  { kind: 'hook', time: '00:00–00:02', text: 'She wakes up in the hospital.' },
  { kind: 'setup', time: '00:03–00:06', text: 'Her sister signs the contract for the family company.' },
  { kind: 'reversal', time: '00:12–00:15', text: 'But the contract in her hand is a fake contract.' },
  { kind: 'cliffhanger', time: '00:21–00:24', text: 'The door opens and her husband is alive.' },
];

function srtTime(seconds) {
  const ms = Math.round(seconds * 1000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(Math.floor(ms / 3_600_000))}:${two(Math.floor(ms / 60_000) % 60)}:${two(Math.floor(ms / 1000) % 60)},${String(ms % 1000).padStart(3, '0')}`;
}

/** Makes `out.mp4` in `dir`: 24 s of black, silent audio and a mov_text track of CUES. */
function makeReferenceVideo(dir) {
  const srt = CUES.map(([s, e, text], i) => `${i + 1}\n${srtTime(s)} --> ${srtTime(e)}\n${text}\n`).join('\n');
  const subs = path.join(dir, 'subs.srt');
  writeFileSync(subs, srt);
  const out = path.join(dir, 'out.mp4');
  execFileSync(
    FFMPEG,
    ['-y', '-loglevel', 'error',
      '-f', 'lavfi', '-i', 'color=c=black:s=160x120:r=5:d=24',
      '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono',
      '-i', subs,
      '-map', '0:v', '-map', '1:a', '-map', '2:s',
      '-c:s', 'mov_text', '-shortest', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
      out],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
  );
  return readFileSync(out);
}

/**
 * Serves the video at /out.mp4 (any query string, so a batch may name it several times) as
 * video/mp4, and answers 404 everywhere else (/missing.mp4 is the failing address).
 */
function startVideoServer(video) {
  const hits = [];
  const srv = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://127.0.0.1');
    hits.push(`${req.method} ${req.url}`);
    if (pathname === '/out.mp4' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
      res.end(req.method === 'HEAD' ? undefined : video);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${srv.address().port}`;
      resolve({
        hits,
        videoUrl: `${base}/out.mp4`,
        missingUrl: `${base}/missing.mp4`,
        base,
        close: () => new Promise((r) => {
          srv.closeAllConnections?.();
          srv.close(() => r());
        }),
      });
    });
  });
}

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * One server + data dir (which also holds the video) + video server + browser context per
 * scenario; artifacts on failure; always cleaned up. `requests` is every request the page made
 * (`METHOD pathname`), to check what was NOT sent.
 */
async function scenario(t, fn) {
  const dir = makeDataDir();
  let server;
  let videos;
  const pageErrors = [];
  const requests = [];
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    const u = new URL(r.url());
    requests.push(`${r.method()} ${u.pathname}`);
  });
  try {
    const video = makeReferenceVideo(dir);
    videos = await startVideoServer(video);
    server = await startServer(path.join(dir, 'data'));
    await fn({ page, server, videos, requests });
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const notes = [...pageErrors, `video server hits: ${JSON.stringify(videos?.hits ?? [])}`];
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    if (server?.unexpectedExit) t.diagnostic(`server died on its own: ${JSON.stringify(server.unexpectedExit)}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    if (videos) await videos.close();
    removeDir(dir);
  }
}

/** The beat sheet as shown: kind, `mm:ss–mm:ss` and text of each beat. */
function shownBeats(scope) {
  return scope.getByTestId('beat').evaluateAll((els) =>
    els.map((el) => ({
      kind: el.getAttribute('data-kind'),
      time: el.querySelector('[data-testid="beat-time"]')?.textContent ?? '',
      text: el.querySelector('.beat-text')?.textContent ?? '',
    })));
}

test('a creator analyses a reference video beside the script and starts a script from its beats', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server, videos }) => {
    const created = await api(server, 'POST', '/api/v1/projects', { name: 'Reference study', aspect_ratio: '9:16' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const project = created.body;

    await page.goto(`${server.url}/#/projects/${project.id}`);
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('tab-script').click();
    await page.getByTestId('script-editor').waitFor();
    await expectPoll(() => page.getByTestId('save-status').getAttribute('data-state'), (s) => s !== 'loading', 'the script is loaded');

    // ---- "Analyze a reference video": the address, mode Beat sheet, Start ----
    const opener = page.getByTestId('open-reference-panel');
    assert.equal(await opener.innerText(), 'Analyze a reference video');
    await opener.click();
    const panel = page.getByTestId('reference-panel');
    await panel.waitFor();
    await expectPoll(() => opener.getAttribute('aria-pressed'), 'true', 'the toggle says the panel is open');
    await panel.getByTestId('history-empty').waitFor();
    await panel.getByTestId('summarize-url').fill(videos.videoUrl);
    await panel.getByTestId('summarize-mode').selectOption('beats');
    await panel.getByTestId('summarize-start').click();

    // ---- the result: the beat sheet first (the mode asked for it), free ----
    const result = panel.getByTestId('summary-result');
    await result.waitFor({ timeout: ANALYSIS_MS });
    assert.equal(await panel.getByTestId('summarize-error').count(), 0, 'no error shown');
    const summaryId = await result.getAttribute('data-summary-id');
    assert.ok(summaryId, 'the result names its summary');
    await expectPoll(() => result.getByTestId('result-tab-beats').getAttribute('aria-selected'), 'true', 'the Beats tab is open');
    await expectPoll(() => shownBeats(result), EXPECTED_BEATS, 'hook, setup, reversal and cliffhanger with their times');
    await expectPoll(
      () => result.getByTestId('beat-kind').allInnerTexts(),
      ['Hook', 'Setup', 'Reversal', 'Cliffhanger'],
      'the beats are labelled',
    );
    await expectPoll(() => result.getByTestId('summary-cost').innerText(), 'Charged: 0 credits', 'the analysis was free');
    // Once it is saved, the panel lists it among this project's analyses.
    const earlier = panel.getByTestId('history-item');
    await expectPoll(() => earlier.count(), 1, "the project's history lists the analysis");
    assert.equal(await earlier.first().getAttribute('data-id'), summaryId);
    assert.match(await earlier.first().getByTestId('history-cost').innerText(), /^Charged: 0 credits$/);
    await shoot(page, 'summarize-panel-beats');

    // ---- the mind map: a tree, its beats branch holding the reversal at 00:12 ----
    await result.getByTestId('result-tab-mindmap').click();
    const tree = result.getByRole('tree');
    await tree.waitFor();
    const nodes = result.getByTestId('mindmap-node');
    await expectPoll(() => nodes.count(), (n) => n >= 10, 'the mind map has its items');
    const root = tree.locator(':scope > [role="treeitem"]');
    await expectPoll(() => root.count(), 1, 'one root');
    assert.equal(await root.getAttribute('aria-level'), '1');
    assert.equal(await root.getAttribute('aria-expanded'), 'true');
    const levels = await nodes.evaluateAll((els) => els.map((el) => Number(el.getAttribute('aria-level'))));
    assert.ok(Math.max(...levels) >= 3, `a tree several levels deep: ${levels}`);
    // The Reversal branch: the item with the reversal's text under it, not its parents.
    // (Its time range, `[00:12–00:15]` in the outline, is one chip.)
    const reversal = nodes.filter({ hasText: 'Reversal' }).filter({ hasNotText: 'Hook' });
    await expectPoll(() => reversal.count(), 1, 'the Reversal branch');
    assert.match(await reversal.locator(':scope > .mindmap-row').innerText(), /Reversal[\s\S]*00:12–00:15/);
    assert.match(await reversal.getByRole('group').innerText(), /fake contract/);
    await expectPoll(() => result.getByTestId('mindmap-time').allInnerTexts(), (times) => times.includes('00:12'), 'the key points carry their times');
    // A branch folds.
    await reversal.getByTestId('mindmap-toggle').click();
    await expectPoll(() => reversal.getAttribute('aria-expanded'), 'false', 'the branch folds');
    assert.equal(await reversal.getByRole('group').count(), 0);
    await shoot(page, 'summarize-panel-mindmap');

    // ---- "Start a script from these beats": the draft, confirmed, into the editor ----
    const expected = await api(server, 'POST', `/api/v1/history/${summaryId}/script`, {});
    assert.equal(expected.status, 200, JSON.stringify(expected.body));
    const draft = expected.body.script;
    assert.match(draft, /INT\. HOOK/);
    await result.getByTestId('script-draft').click();
    const dialog = page.getByTestId('script-draft-dialog');
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('script-draft-preview').textContent(), draft, 'the dialog shows the draft');
    await expectPoll(() => dialog.getByTestId('script-draft-note').innerText(), /Put this draft into the script editor\?/, 'the editor was empty');
    await shoot(page, 'summarize-draft-dialog');
    await dialog.getByTestId('script-draft-replace').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'The draft is in the script editor.' }).waitFor();

    await expectPoll(() => editorShows(page, draft), true, 'the script editor holds the draft');
    await expectPoll(
      () => page.getByTestId('script-editor').innerText(),
      /INT\. HOOK - DAY/,
      'the editor shows INT. HOOK',
    );
    // The autosave stores it.
    await expectPoll(() => page.getByTestId('save-status').getAttribute('data-state'), 'saved', 'the draft is saved', { timeout: 20_000 });
    const stored = await expectPoll(
      async () => (await api(server, 'GET', `/api/v1/projects/${project.id}/versions/${project.current_version_id}/script`)).body,
      (b) => b?.text === draft,
      { message: 'the server holds the draft as the script', timeout: 20_000 },
    );
    assert.match(stored.text, /INT\. HOOK - DAY/);

    const history = await api(server, 'GET', `/api/v1/history?project_id=${project.id}`);
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assert.equal(history.body.items.length, 1, JSON.stringify(history.body));
    assert.equal(history.body.total, 1);
    assert.equal(history.body.items[0].id, summaryId);
    assert.equal(history.body.items[0].project_id, project.id);
    assert.equal(history.body.items[0].credits_charged, 0);
    assert.equal(history.body.items[0].transcript_source, 'embedded_subtitles');
  }),
);

test('the reference-videos page lists history with undo and runs a batch', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server, videos, requests }) => {
    const batchPosts = () => requests.filter((r) => r === 'POST /api/v1/batch/summarize').length;

    await page.goto(`${server.url}/#/references`);
    const refPage = page.getByTestId('reference-page');
    await refPage.waitFor();
    await expectPoll(() => refPage.locator('h1').innerText(), 'Reference videos', 'the page title');
    const historySection = page.getByTestId('history-section');
    await historySection.getByTestId('history-empty').waitFor();
    const batch = page.getByTestId('batch-section');

    // ---- 21 addresses: refused in the page, nothing sent ----
    const tooMany = Array.from({ length: 21 }, (_, i) => `${videos.videoUrl}?n=${i + 1}`).join('\n');
    await batch.getByTestId('batch-urls').fill(tooMany);
    await expectPoll(() => batch.getByTestId('batch-count').innerText(), '21 of 20 addresses', 'the count says 21 of 20');
    assert.match(await batch.getByTestId('batch-count').getAttribute('class'), /\bover\b/);
    await batch.getByTestId('batch-start').click();
    await expectPoll(
      () => batch.getByTestId('batch-error').innerText(),
      'A batch takes at most 20 addresses; this has 21. Remove some or split them.',
      'the refusal says why',
    );
    assert.equal(await batch.getByTestId('batch-urls').getAttribute('aria-invalid'), 'true');
    // Give a request that should not exist time to show up, then check that none did.
    await page.waitForTimeout(1_000);
    assert.equal(batchPosts(), 0, `no batch was sent: ${JSON.stringify(requests.filter((r) => r.startsWith('POST')))}`);
    assert.equal(await batch.getByTestId('batch-card').count(), 0, 'no batch card');
    const none = await api(server, 'GET', '/api/v1/batch');
    assert.deepEqual(none.body, [], 'the server has no batch');
    assert.equal(videos.hits.length, 0, 'the video server was not asked');

    // ---- the video and the 404 address: partial, with the 404's error ----
    await batch.getByTestId('batch-urls').fill(`${videos.videoUrl}\n${videos.missingUrl}`);
    await expectPoll(() => batch.getByTestId('batch-count').innerText(), '2 of 20 addresses', 'the count says 2 of 20');
    await batch.getByTestId('batch-start').click();
    await expectPoll(() => batchPosts(), 1, 'one batch sent');
    await batch.getByTestId('batch-error').waitFor({ state: 'detached' });
    await expectPoll(() => batch.getByTestId('batch-urls').inputValue(), '', 'the addresses are cleared once sent');
    const card = batch.getByTestId('batch-card');
    await expectPoll(() => card.count(), 1, 'one batch card');
    await expectPoll(() => card.getAttribute('data-status'), 'partial', { message: 'the batch ends partial', timeout: ANALYSIS_MS });
    await expectPoll(() => card.getByTestId('batch-status').innerText(), 'Partly failed', 'the status label');
    await expectPoll(() => card.getByTestId('batch-cost').innerText(), 'Charged: 0 credits', 'the batch was free');
    const itemError = card.getByTestId('batch-item-error');
    await expectPoll(() => itemError.count(), 1, 'one failed item');
    assert.equal(await itemError.getAttribute('data-code'), 'UPSTREAM_FAILED');
    const errorText = await itemError.innerText();
    assert.ok(errorText.includes(videos.missingUrl), `the error names the address: ${errorText}`);
    assert.match(errorText, /UPSTREAM_FAILED/, 'the error shows its code');
    assert.match(errorText, /404/, 'the error says the address answered 404');
    const itemResults = card.getByTestId('batch-result');
    await expectPoll(() => itemResults.allInnerTexts(), [videos.videoUrl], 'the video is the one result');
    const job = (await api(server, 'GET', `/api/v1/batch/${await card.getAttribute('data-job-id')}`)).body;
    assert.equal(job.status, 'partial', JSON.stringify(job));
    assert.deepEqual(job.errors.map((e) => [e.index, e.url, e.code]), [[1, videos.missingUrl, 'UPSTREAM_FAILED']]);
    const summaryId = job.results[0].summary_id;
    await shoot(page, 'summarize-batch-partial');

    // ---- the history lists the finished summary ----
    const items = historySection.getByTestId('history-item');
    await expectPoll(() => items.evaluateAll((els) => els.map((el) => el.getAttribute('data-id'))), [summaryId], {
      message: "the history lists the batch's summary",
      timeout: 20_000,
    });
    const item = items.first();
    assert.match(await item.innerText(), /out/);
    assert.match(await item.getByTestId('history-cost').innerText(), /^Charged: 0 credits$/);
    // Opening it shows it in the analyzer above.
    await item.getByTestId('history-open').click();
    const opened = page.locator('#reference-analyzer').getByTestId('summary-result');
    await expectPoll(() => opened.getAttribute('data-summary-id'), summaryId, 'the entry opens');
    // A batch's default mode is the beat sheet: the entry opens on it.
    await expectPoll(() => shownBeats(opened), EXPECTED_BEATS, 'its beat sheet is shown');

    // ---- delete, then Undo from the toast ----
    await item.getByTestId('history-delete').click();
    await historySection.getByTestId('history-empty').waitFor();
    await expectPoll(() => opened.count(), 0, 'the opened entry closes with its deletion');
    const toast = page.getByTestId('toast').filter({ hasText: 'moved to the trash' });
    await toast.waitFor();
    await expectPoll(async () => (await api(server, 'GET', '/api/v1/history')).body.total, 0, 'the server moved it to the trash');
    await toast.getByTestId('undo-delete-summary').click();
    await expectPoll(() => items.evaluateAll((els) => els.map((el) => el.getAttribute('data-id'))), [summaryId], 'it is back in the history');
    await page.getByTestId('toast').filter({ hasText: 'restored' }).waitFor();
    const back = await api(server, 'GET', '/api/v1/history');
    assert.equal(back.body.total, 1, JSON.stringify(back.body));
    assert.equal(back.body.items[0].id, summaryId);
    const entry = await api(server, 'GET', `/api/v1/history/${summaryId}`);
    assert.equal(entry.status, 200, JSON.stringify(entry.body));
    assert.equal(entry.body.transcript.length, CUES.length, 'the restored entry keeps its transcript');
    assert.equal(batchPosts(), 1, 'still only the one batch sent');
  }),
);
