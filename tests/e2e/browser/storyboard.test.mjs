// Browser end-to-end tests of the storyboard (issue 14, items 6, 7 and 10) against the real
// `storyloom serve`: undo/redo of merge, split and delete restores the storyboard exactly; merge is
// not offered across a scene boundary; the version picker's counts follow parses and edits;
// keyframes on the cards and the remembered board view; a long storyboard renders only what is on
// screen while keyboard navigation still reaches every shot.
//   node --test tests/e2e/browser/storyboard.test.mjs
// Same prerequisites as editor.test.mjs (server binary, ui/dist, playwright-core, Chromium).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  editorLength,
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

/** One server + data dir + browser context per scenario; artifacts on failure; always cleaned up. */
async function scenario(t, fn) {
  const dir = makeDataDir();
  let server;
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // React's warnings (keys, flushSync inside a lifecycle, …) are console errors.
  page.on('console', (m) => {
    // A refused undo (409) is expected where a test provokes one.
    if (m.type() === 'error' && !m.text().includes('status of 409')) pageErrors.push(`console: ${m.text()}`);
  });
  try {
    server = await startServer(dir);
    await fn({ page, server });
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors or logged console errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    removeDir(dir);
  }
}

async function openSample(server) {
  const samples = (await api(server, 'GET', '/api/v1/samples')).body;
  const zh = samples.find((s) => s.language.startsWith('zh')) ?? samples[0];
  const opened = await api(server, 'POST', `/api/v1/samples/${zh.id}/open`);
  assert.equal(opened.status, 201, JSON.stringify(opened.body));
  return opened.body.id;
}

async function serverBoard(server, projectId) {
  const res = await api(server, 'GET', `/api/v1/projects/${projectId}/storyboard`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Everything an undo must give back: every shot of every scene, in order, but its update time. */
async function exactBoard(server, projectId) {
  const sb = await serverBoard(server, projectId);
  return JSON.stringify(
    sb.scenes.map((s) => ({ id: s.id, shots: s.shots.map(({ updated_at: _, ...rest }) => rest) })),
  );
}

const card = (page, id) => page.locator(`[data-testid="shot-card"][data-shot-id="${id}"]`);
const focusedShot = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-shot-id') ?? null);
const selectedVersionText = (page) =>
  page.getByTestId('version-select').evaluate((sel) => sel.options[sel.selectedIndex]?.textContent ?? '');

/** Opens a sample's storyboard in the page; the server's storyboard and helpers to compare with it. */
async function openStoryboard(page, server) {
  const projectId = await openSample(server);
  await page.goto(`${server.url}/#/projects/${projectId}/storyboard`);
  await page.getByTestId('storyboard').waitFor();
  const sb = await serverBoard(server, projectId);
  const all = sb.scenes.flatMap((s) => s.shots);
  const n = all.length;
  await waitUntil(async () => (await page.getByTestId('shot-card').count()) === n, 'every shot has a card');
  const original = await exactBoard(server, projectId);
  const cardCount = () => page.getByTestId('shot-card').count();
  const backToOriginal = async (what) => {
    await waitUntil(async () => (await exactBoard(server, projectId)) === original, `${what}: the server holds the storyboard exactly as before`);
    await waitUntil(async () => (await cardCount()) === n, `${what}: every card is back`);
  };
  return { projectId, sb, all, n, cardCount, backToOriginal };
}

test('storyboard: merge is not offered across a scene boundary', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { sb } = await openStoryboard(page, server);
    // ---- the last shot of a scene is not offered a merge (the next shot opens another scene) ----
    const scenes = sb.scenes.filter((s) => s.shots.length > 0);
    assert.ok(scenes.length >= 2, 'the sample has two scenes with shots');
    const endOfScene = scenes[0].shots[scenes[0].shots.length - 1];
    await expectPoll(() => card(page, endOfScene.id).getByTestId('shot-merge').isDisabled(), true, 'no merge at the end of scene 1');
    const withNext = scenes.find((s) => s.shots.length >= 2);
    const a = withNext.shots[0];
    await expectPoll(() => card(page, a.id).getByTestId('shot-merge').isDisabled(), false, 'a merge inside a scene is offered');
    // The API refuses one across the boundary, naming the field.
    const across = await api(server, 'POST', `/api/v1/storyboards/${endOfScene.id}/merge`, { with_id: scenes[1].shots[0].id });
    assert.equal(across.status, 422, JSON.stringify(across.body));
    assert.equal(across.body.field, 'with_id');
  }),
);

test('storyboard: undo/redo of merge, split, delete and edit gives the storyboard back exactly', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { projectId, sb, all, n, cardCount, backToOriginal } = await openStoryboard(page, server);
    const a = sb.scenes.find((s) => s.shots.length >= 2).shots[0];

    // ---- merge, then the toast's Undo ----
    await card(page, a.id).getByTestId('shot-merge').click();
    await waitUntil(async () => (await cardCount()) === n - 1, 'two shots merged into one');
    await page.getByTestId('undo-merge-shot').click();
    await backToOriginal('undo of the merge');

    // ---- split, Ctrl+Z, Ctrl+Shift+Z (same ids), Ctrl+Z ----
    await card(page, a.id).getByTestId('shot-split').click();
    await waitUntil(async () => (await cardCount()) === n + 1, 'the shot split in two');
    const afterSplit = await exactBoard(server, projectId);
    await card(page, a.id).focus();
    await page.keyboard.press('Control+z');
    await backToOriginal('Ctrl+Z of the split');
    await page.keyboard.press('Control+Shift+z');
    await waitUntil(async () => (await exactBoard(server, projectId)) === afterSplit, 'Ctrl+Shift+Z redid the split with the same ids');
    await waitUntil(async () => (await cardCount()) === n + 1, 'the redone split shows');
    await page.keyboard.press('Control+z');
    await backToOriginal('the second Ctrl+Z of the split');

    // ---- Delete, Ctrl+Z ----
    const victim = all[2];
    await card(page, victim.id).focus();
    await page.keyboard.press('Delete');
    await waitUntil(async () => (await cardCount()) === n - 1, 'the shot is gone');
    await page.keyboard.press('Control+z');
    await backToOriginal('Ctrl+Z of the delete');
    await waitUntil(async () => (await focusedShot(page)) === victim.id, 'the restored shot has the focus');

    // ---- an edit is undone too ----
    await card(page, victim.id).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('shot-description-input').fill('Rewritten by hand.');
    await page.getByTestId('shot-description-input').press('Enter');
    await waitUntil(async () => (await api(server, 'GET', `/api/v1/storyboards/${victim.id}`)).body.description === 'Rewritten by hand.', 'the edit is saved');
    await page.getByTestId('undo-edit-shot').click();
    await backToOriginal('undo of the edit');

    // ---- a keyboard move is undone and redone too (the same order; the order key is new) ----
    const order = async () => (await serverBoard(server, projectId)).scenes.flatMap((s) => s.shots.map((x) => x.id)).join();
    const originalOrder = await order();
    await card(page, all[0].id).focus();
    await page.keyboard.press('Alt+ArrowDown');
    const movedOrder = [all[1].id, all[0].id, ...all.slice(2).map((x) => x.id)].join();
    await waitUntil(async () => (await order()) === movedOrder, 'the shot moved down one place');
    await page.keyboard.press('Control+z');
    await waitUntil(async () => (await order()) === originalOrder, 'Ctrl+Z put it back');
    await page.keyboard.press('Control+Shift+z');
    await waitUntil(async () => (await order()) === movedOrder, 'Ctrl+Shift+Z moved it again');
  }),
);

test('storyboard: an undo never overwrites or hides a later edit', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { projectId, sb, n, cardCount } = await openStoryboard(page, server);
    const a = sb.scenes.find((s) => s.shots.length >= 2).shots[0];
    const errorToast = () => page.locator('[data-testid="toast"][data-kind="error"]');

    // Merge, then someone edits the merged shot: the merge's Undo is refused, nothing changes.
    await card(page, a.id).getByTestId('shot-merge').click();
    await waitUntil(async () => (await cardCount()) === n - 1, 'merged');
    const edited = await api(server, 'PATCH', `/api/v1/storyboards/${a.id}`, { description: 'Changed elsewhere.' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const before = await exactBoard(server, projectId);
    await page.getByTestId('undo-merge-shot').click();
    await errorToast().first().waitFor();
    assert.equal(await exactBoard(server, projectId), before, 'the refused undo wrote nothing');
    assert.equal((await api(server, 'GET', `/api/v1/storyboards/${a.id}`)).body.description, 'Changed elsewhere.');

    // Split, then the new shot is edited: Ctrl+Z does not trash it.
    await page.reload();
    await page.getByTestId('storyboard').waitFor();
    await card(page, a.id).getByTestId('shot-split').click();
    await page.getByTestId('undo-split-shot').waitFor();
    const ids = (await serverBoard(server, projectId)).scenes.flatMap((s) => s.shots.map((x) => x.id));
    const made = ids[ids.indexOf(a.id) + 1];
    const patched = await api(server, 'PATCH', `/api/v1/storyboards/${made}`, { description: 'Written into the new half.' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const afterEdit = await exactBoard(server, projectId);
    const errors = await errorToast().count();
    await card(page, a.id).focus();
    await page.keyboard.press('Control+z');
    await waitUntil(async () => (await errorToast().count()) > errors, 'the undo is refused with a message');
    assert.equal(await exactBoard(server, projectId), afterEdit, 'the edited half is still there, untouched');
  }),
);

test("storyboard: the version picker's counts follow a delete and a parse", { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { projectId, sb, all, n, cardCount } = await openStoryboard(page, server);
    await expectPoll(() => selectedVersionText(page), new RegExp(`· ${n} shots$`), 'the version picker counts the shots');
    await card(page, all[1].id).getByTestId('shot-delete').click();
    await waitUntil(async () => (await cardCount()) === n - 1, 'the shot is gone');
    await waitUntil(async () => (await selectedVersionText(page)).endsWith(`· ${n - 1} shots`), 'the version picker counts one shot less');
    await page.getByTestId('undo-delete-shot').click();
    await waitUntil(async () => (await selectedVersionText(page)).endsWith(`· ${n} shots`), 'the version picker counts the restored shot');

    // ---- a parse changes the counts: the picker follows without a reload ----
    const versionId = sb.version_id;
    const scenesBefore = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}`)).body.scene_count;
    await page.getByTestId('tab-script').click();
    const scriptInput = page.getByTestId('script-editor');
    await waitUntil(async () => (await editorLength(page)) > 0, 'the script is loaded');
    await scriptInput.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\n\n场景99：天台 夜 外\n△风吹过。\n');
    await page.keyboard.press('Control+s');
    await waitUntil(
      async () => (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}`)).body.scene_count === scenesBefore + 1,
      'the server parsed the new scene',
    );
    await waitUntil(
      async () => (await selectedVersionText(page)).includes(`· ${scenesBefore + 1} scenes ·`),
      'the version picker counts the new scene',
    );
  }),
);

test('storyboard: keyframes on the cards, and a remembered board view', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const projectId = await openSample(server);
    const shots = (await serverBoard(server, projectId)).scenes.flatMap((s) => s.shots);
    const [drawn, plain] = shots;
    // The built-in renderer draws the first shot's keyframe.
    const g = await api(server, 'POST', `/api/v1/storyboards/${drawn.id}/generate`, {});
    assert.equal(g.status, 200, JSON.stringify(g.body));
    const assetId = g.body.asset_id;

    await page.goto(`${server.url}/#/projects/${projectId}/storyboard`);
    await page.getByTestId('storyboard').waitFor();
    await expectPoll(() => page.getByTestId('storyboard').getAttribute('data-view'), 'text', 'the text view is the default');
    const thumb = card(page, drawn.id).getByTestId('shot-frame');
    await thumb.waitFor();
    await expectPoll(() => thumb.getAttribute('data-asset-id'), assetId, 'the card shows the drawn keyframe');
    await waitUntil(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
    assert.equal(await card(page, plain.id).getByTestId('shot-frame').count(), 0, 'a shot without a keyframe shows none');

    // ---- the board view: large frames, a placeholder where there is none yet ----
    await page.getByTestId('storyboard-view-board').click();
    await waitUntil(async () => (await page.getByTestId('storyboard').getAttribute('data-view')) === 'board', 'the board view is on');
    const frame = card(page, drawn.id).getByTestId('shot-frame');
    await waitUntil(() => frame.evaluate((img) => img.complete && img.naturalWidth > 0), 'the large frame loads');
    // Its shape is the project's (the sample is 9:16): its long side is large.
    const project = (await api(server, 'GET', `/api/v1/projects/${projectId}`)).body;
    const [w, h] = project.aspect_ratio.split(':').map(Number);
    await expectPoll(() => frame.boundingBox(), (box) => {
      assert.ok(Math.max(box.width, box.height) >= 300, `the frame is large (${box.width}×${box.height} px)`);
      assert.ok(Math.abs(box.width / box.height - w / h) < 0.05, `the frame is ${project.aspect_ratio} (${box.width}×${box.height})`);
      return true;
    }, 'the board view’s frame is large and in the project’s shape');
    await card(page, plain.id).getByTestId('shot-frame-empty').waitFor();
    // Keyboard navigation works the same there.
    await card(page, drawn.id).focus();
    await page.keyboard.press('ArrowRight');
    await expectPoll(() => focusedShot(page), plain.id, 'ArrowRight focuses the next card in the board view');

    // ---- remembered across a reload, and back ----
    await page.reload();
    await page.getByTestId('storyboard').waitFor();
    await expectPoll(() => page.getByTestId('storyboard').getAttribute('data-view'), 'board', 'the board view is remembered');
    await expectPoll(() => page.getByTestId('storyboard-view-board').getAttribute('aria-pressed'), 'true', 'the board button is pressed');
    await page.getByTestId('storyboard-view-text').click();
    await expectPoll(() => page.getByTestId('storyboard').getAttribute('data-view'), 'text', 'the text view is on');
    await page.reload();
    await page.getByTestId('storyboard').waitFor();
    await expectPoll(() => page.getByTestId('storyboard').getAttribute('data-view'), 'text', 'the text view is remembered');
  }),
);

test('storyboard: a long storyboard renders only what is on screen; the keyboard still reaches every shot', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const SCENES = 150;
    const PER_SCENE = 20;
    const created = await api(server, 'POST', '/api/v1/projects', { name: 'Long' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const projectId = created.body.id;
    const versionId = created.body.current_version_id;
    let text = 'Title: Long\n\n';
    for (let s = 1; s <= SCENES; s++) {
      text += `INT. ROOM ${s} - DAY\n\n`;
      for (let k = 1; k <= PER_SCENE; k++) text += `Beat ${s}.${k} happens here.\n\n`;
    }
    const saved = await api(server, 'PUT', `/api/v1/projects/${projectId}/versions/${versionId}/script`, { text });
    assert.equal(saved.status, 200, JSON.stringify(saved.body).slice(0, 500));
    const ids = (await serverBoard(server, projectId)).scenes.flatMap((s) => s.shots.map((x) => x.id));
    assert.equal(ids.length, SCENES * PER_SCENE);

    await page.goto(`${server.url}/#/projects/${projectId}/storyboard`);
    await page.getByTestId('storyboard').waitFor();
    await page.getByTestId('shot-card').first().waitFor();
    const rendered = () => page.getByTestId('shot-card').count();
    await expectPoll(rendered, (k) => k < 200, `only the visible cards are rendered (fewer than 200 of ${ids.length})`);
    // Counts are grouped for the locale: "3,000 shots".
    await expectPoll(
      () => page.getByTestId('storyboard-summary').innerText(),
      new RegExp(`${ids.length.toLocaleString('en-US')} shots`),
      'the summary counts every shot',
    );

    // ---- Home / End / arrows reach shots that were not rendered ----
    await card(page, ids[0]).focus();
    await page.keyboard.press('ArrowRight');
    await expectPoll(() => focusedShot(page), ids[1], 'ArrowRight focuses the second shot');
    await page.keyboard.press('End');
    await waitUntil(async () => (await focusedShot(page)) === ids[ids.length - 1], 'End focuses the last shot');
    await expectPoll(
      () => card(page, ids[ids.length - 1]).boundingBox(),
      (last) => last && last.y >= 0 && last.y + last.height <= 900,
      'the last shot is on screen',
    );
    await expectPoll(rendered, (k) => k < 200, 'still only the visible cards (fewer than 200)');
    await page.keyboard.press('ArrowLeft');
    await expectPoll(() => focusedShot(page), ids[ids.length - 2], 'ArrowLeft focuses the shot before the last');
    await page.keyboard.press('Home');
    await waitUntil(async () => (await focusedShot(page)) === ids[0], 'Home focuses the first shot');

    // ---- scrolling to the middle shows the middle ----
    await page.evaluate(() => {
      const main = document.getElementById('main');
      main.scrollTop = main.scrollHeight / 2;
    });
    const middle = ids[Math.floor(ids.length / 2)];
    await waitUntil(async () => {
      const numbers = await page.getByTestId('shot-card').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-shot-number'))));
      return numbers.some((x) => Math.abs(x - ids.length / 2) < 300);
    }, 'cards near the middle are rendered after scrolling');
    await expectPoll(rendered, (k) => k < 250, 'scrolling keeps the rendered set small (fewer than 250)');
    assert.ok(middle);
    // The focused first card stayed mounted while scrolled away: the focus is not lost.
    await expectPoll(() => focusedShot(page), ids[0], 'the focus survives scrolling away');
    await page.keyboard.press('ArrowRight');
    await expectPoll(() => focusedShot(page), ids[1], 'ArrowRight from there focuses the second shot');
  }),
);
