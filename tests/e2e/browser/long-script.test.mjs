// Browser end-to-end test of a very long script in the Script tab (issue 14 item 10): a paste of
// ~250,000 characters (20,000 lines) turns the live breakdown off, stays highlighted with only the
// lines in view in the DOM (the editor is CodeMirror, which lays out only those: typing stays
// fast), is autosaved as text without re-parsing the storyboard, is parsed only from the size
// warning's button, and a script over the server's 4 MiB limit is refused with the limit in the
// message, without being sent.
//   node --test tests/e2e/browser/long-script.test.mjs
// Same prerequisites as projects.test.mjs (server binary, ui/dist, playwright-core, Chromium).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  editorLength,
  editorShows,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  startServer,
  waitUntil,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 240_000;

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

function scenes(from, count) {
  let s = '';
  for (let i = from; i < from + count; i++) {
    s += `场景${i}：咖啡馆${i}号桌 日 内\n△林雪推门而入，看向窗外的雨。\n林雪：第${i}次见面，你还记得我吗？\n陈默：当然记得。\n\n`;
  }
  return s;
}

async function shotCount(server, projectId) {
  const res = await api(server, 'GET', `/api/v1/projects/${projectId}/storyboard`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.scenes.reduce((n, s) => n + s.shots.length, 0);
}

test('a long script: warned, saved unparsed, parsed on request; over the limit refused', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = makeDataDir();
  let server;
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    server = await startServer(dir);
    const project = (await api(server, 'POST', '/api/v1/projects', { name: 'Long' })).body;
    const [projectId, versionId] = [project.id, project.current_version_id];
    const scriptPath = `/api/v1/projects/${projectId}/versions/${versionId}/script`;
    const small = scenes(1, 3);
    assert.equal((await api(server, 'PUT', scriptPath, { text: small })).status, 200);
    const smallShots = await shotCount(server, projectId);
    assert.ok(smallShots >= 3);

    await page.goto(`${server.url}/#/projects/${projectId}`);
    const scriptInput = page.getByTestId('script-editor');
    await waitUntil(async () => editorShows(page, small), 'the editor shows the stored script');
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="scene"]').count(), 3, 'the scene headings are highlighted');
    // No warning for a small script: read once, the script being shown.
    assert.equal(await page.getByTestId('script-size-warning').count(), 0);

    // ---- a real paste (clipboard, Ctrl+V) of ~250,000 characters (≈ 0.75 MB) ----
    // (A paste is what users do; Playwright's insertText of this much text would type it.)
    const pasted = scenes(4, 4000);
    assert.ok(pasted.length > 200_000, `${pasted.length} characters`);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.evaluate((text) => navigator.clipboard.writeText(text), pasted);
    await scriptInput.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Control+V');
    await page.getByTestId('script-size-warning').waitFor();
    const total = small.length + pasted.length;
    await waitUntil(async () => (await editorLength(page)) === total, 'the editor holds the whole text');
    // Only the lines in view are laid out: a textarea (or a highlighted copy of the text) holds all
    // 20,000 of them, and each key costs their layout. They are still highlighted, as the whole
    // text's classifier says (the last lines of a scene: a speech, then a blank line).
    await expectPoll(
      () => scriptInput.locator('.cm-line').count(),
      (rendered) => rendered > 10 && rendered < 300,
      `only the lines in view of ${total.toLocaleString()} characters are in the DOM (more than 10, fewer than 300)`,
    );
    await expectPoll(() => scriptInput.locator('.cm-line').last().getAttribute('data-kind'), 'blank', 'the last line is blank');
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="speech"] .sx-character').count(), (n) => n >= 2, 'speakers are highlighted');
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="scene"]').count(), (n) => n >= 1, 'scene headings are highlighted');
    // Typing goes on: the keys land at the end of the text.
    await page.keyboard.type('\nTHE END');
    await waitUntil(async () => (await editorLength(page)) === total + '\nTHE END'.length, 'typed text is in the editor');
    await expectPoll(() => scriptInput.locator('.cm-line').last().innerText(), 'THE END', 'the typed line is the last one');

    // Autosave keeps the text and leaves the storyboard alone (no parse without asking).
    await waitUntil(async () => {
      const s = (await api(server, 'GET', scriptPath)).body;
      return s.text.endsWith('\nTHE END');
    }, 'the server holds the long text', 30_000);
    await waitUntil(
      async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'saved',
      'the status is Saved',
    );
    assert.equal(await shotCount(server, projectId), smallShots, 'saving a large script did not parse it');

    // ---- the warning's button parses it ----
    await page.getByTestId('parse-large-script').click();
    await page.getByTestId('toast').filter({ hasText: 'Parsed:' }).waitFor({ timeout: 120_000 });
    const parsedShots = await shotCount(server, projectId);
    assert.ok(parsedShots > 10_000, `the storyboard holds the long script's shots (${parsedShots})`);

    // ---- over the limit: refused in the editor with the limit, never sent ----
    const before = (await api(server, 'GET', scriptPath)).body.text;
    const tooMuch = '林'.repeat(Math.ceil((4 * 1024 * 1024) / 3) + 1);
    await page.evaluate((text) => navigator.clipboard.writeText(text), tooMuch);
    await scriptInput.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Control+V');
    await page.getByTestId('script-size-error').waitFor();
    await expectPoll(() => page.getByTestId('script-size-error').innerText(), /over the 4\.0 MiB limit/, 'the editor names the limit');
    await waitUntil(
      async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'error',
      'the save is refused',
    );
    await expectPoll(() => page.getByTestId('save-status').innerText(), /4\.0 MiB limit/, 'the save status names the limit');
    assert.equal((await api(server, 'GET', scriptPath)).body.text, before, 'the server still holds the last good text');
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    removeDir(dir);
  }
});
