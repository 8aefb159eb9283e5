// Browser end-to-end test of the project editor (issue 3) against the real `storyloom serve`:
// sample from the empty state, script editing with the live breakdown and autosave, storyboard
// reordering by drag and drop and by keyboard (persisted across a reload), script upload, and the
// asset browser's trash and restore.
//   node --test tests/e2e/browser/
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

const TEST_TIMEOUT_MS = 180_000;

/** An 8×8 opaque PNG (a real image, so the server's decoder and thumbnailer accept it). */
const PNG_8x8 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGNocDiAFTEMLQkAcvNgAZ9WlLEAAAAASUVORK5CYII=',
  'base64',
);

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
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    server = await startServer(dir);
    await fn({ page, server });
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    if (server?.unexpectedExit) t.diagnostic(`server died on its own: ${JSON.stringify(server.unexpectedExit)}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    removeDir(dir);
  }
}

/** The shot ids in the order the grid shows them. */
function shownShotIds(page) {
  return page.getByTestId('shot-card').evaluateAll((els) => els.map((el) => el.getAttribute('data-shot-id')));
}

/** The shot ids in the order the server holds them. */
async function serverShotIds(server, projectId) {
  const res = await api(server, 'GET', `/api/v1/projects/${projectId}/storyboard`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.scenes.flatMap((s) => s.shots.map((x) => x.id));
}

async function breakdownSceneHeadings(page) {
  return page.getByTestId('breakdown-scene-heading').allInnerTexts();
}

async function characterLines(page, name) {
  const row = page.locator(`[data-testid="breakdown-character"][data-name="${name}"]`);
  if ((await row.count()) === 0) return null;
  return Number(await row.getByTestId('character-lines').innerText());
}

test('editor: sample, script + live breakdown, storyboard reorder, upload, asset trash/restore', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    await page.goto(`${server.url}/`);

    // ---- empty state offers the samples; opening one makes a project and opens the editor ----
    const samples = (await api(server, 'GET', '/api/v1/samples')).body;
    const rebirth = samples.find((s) => s.language.startsWith('zh'));
    assert.ok(rebirth, `a Chinese sample exists: ${JSON.stringify(samples)}`);
    await page.getByTestId('empty-state').waitFor();
    const sampleButton = page.locator(`[data-testid="sample-open"][data-sample-id="${rebirth.id}"]`);
    await sampleButton.waitFor();
    await expectPoll(() => page.getByTestId('sample-open').count(), samples.length, 'the empty state offers every sample');
    await sampleButton.click();

    const editor = page.getByTestId('editor');
    await editor.waitFor();
    const projectId = await expectPoll(() => editor.getAttribute('data-project-id'), Boolean, 'the editor names its project');
    await waitUntil(() => page.url().includes(`#/projects/${projectId}`), 'the URL names the project');
    const projects = (await api(server, 'GET', '/api/v1/projects')).body;
    assert.equal(projects.total, 1);
    assert.equal(projects.items[0].id, projectId);

    // ---- the script is loaded, highlighted, and broken down ----
    const scriptInput = page.getByTestId('script-editor');
    const versionId = await expectPoll(() => editor.getAttribute('data-version-id'), Boolean, 'the editor names its version');
    const stored = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}/script`)).body;
    await waitUntil(async () => editorShows(page, stored.text), 'the editor shows the stored script');
    const expected = (await api(server, 'POST', '/api/v1/script/preview', { text: stored.text })).body;
    await waitUntil(
      async () => (await page.getByTestId('breakdown-scene').count()) === expected.scenes.length,
      `the breakdown lists ${expected.scenes.length} scenes`,
    );
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="scene"]').count(), (n) => n >= 1, 'scene headings are highlighted');
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="speech"]').count(), (n) => n >= 1, 'dialogue lines are highlighted');
    await expectPoll(() => scriptInput.locator('.sx-line[data-kind="speech"] .sx-character').count(), (n) => n >= 1, 'speakers are highlighted');
    const speaker = expected.characters[0].name;
    const linesBefore = await expectPoll(
      () => characterLines(page, speaker),
      expected.characters[0].dialogue_lines,
      `the breakdown counts ${speaker}'s lines`,
    );
    await expectPoll(() => page.getByTestId('save-status').getAttribute('data-state'), 'saved', 'the loaded script is Saved');

    // ---- edit: a new scene with a line for the first speaker ----
    await scriptInput.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText(`\n\n场景9：天台 夜 外\n${speaker}：终于，一切都结束了。\n`);
    await waitUntil(
      async () => (await breakdownSceneHeadings(page)).some((h) => h.includes('天台')),
      'the new scene heading appears in the live breakdown',
    );
    await expectPoll(() => page.getByTestId('breakdown-scene').count(), expected.scenes.length + 1, 'the breakdown has one more scene');
    await waitUntil(
      async () => (await characterLines(page, speaker)) === linesBefore + 1,
      `${speaker} has one more line in the breakdown`,
    );
    // Autosave: the status goes to Saved and the server holds the new text.
    await waitUntil(
      async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'saved',
      'the edit is saved',
    );
    await waitUntil(async () => {
      const s = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}/script`)).body;
      return s.text.includes('场景9：天台 夜 外');
    }, 'the server holds the edited script');
    // Ctrl+S saves right away.
    await page.keyboard.insertText('△风吹过。\n');
    await page.keyboard.press('Control+s');
    await waitUntil(async () => {
      const s = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}/script`)).body;
      return s.text.includes('△风吹过。');
    }, 'Ctrl+S saved the script');
    await waitUntil(
      async () => (await page.getByTestId('save-status').getAttribute('data-state')) === 'saved',
      'the status is back to Saved',
    );
    // Chinese typed through an input method: the composition (pinyin, then the candidate) ends as
    // the chosen text, highlighted, and saved.
    const ime = await page.context().newCDPSession(page);
    for (const text of ['l', 'lin', 'lin x']) {
      await ime.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    }
    // While composing, the pinyin is on the line being typed.
    await waitUntil(async () => (await scriptInput.locator('.cm-line').last().innerText()) === 'lin x', 'the composition is shown');
    await ime.send('Input.insertText', { text: '林雪' });
    await page.keyboard.insertText('：走吧。');
    await ime.detach();
    const composed = await waitUntil(async () => {
      const s = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}/script`)).body;
      return s.text.endsWith('\n△风吹过。\n林雪：走吧。') && s.text;
    }, 'the composed text is saved');
    await expectPoll(() => editorShows(page, composed), true, 'the editor holds what was saved');
    await expectPoll(() => scriptInput.locator('.cm-line').last().innerText(), '林雪：走吧。', 'the last line is the composed one');
    await expectPoll(() => scriptInput.locator('.cm-line').last().getAttribute('data-kind'), 'speech', 'the composed line is highlighted as speech');

    // ---- storyboard: the grid shows the parsed shots ----
    await page.getByTestId('tab-storyboard').click();
    await waitUntil(() => page.url().endsWith('/storyboard'), 'the URL names the storyboard tab');
    await page.getByTestId('storyboard').waitFor();
    const initial = await serverShotIds(server, projectId);
    assert.ok(initial.length >= 4, `the sample has enough shots (${initial.length})`);
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === initial.length, 'every shot has a card');
    await expectPoll(() => shownShotIds(page), initial, 'the grid shows the shots in the server’s order');
    await expectPoll(
      () => page.getByTestId('storyboard-scene-heading').allInnerTexts(),
      (hs) => hs.some((h) => h.includes('天台')),
      'the new scene is in the storyboard',
    );

    // ---- reorder by drag and drop: the first shot dropped on the right half of the second ----
    const [a, b, c] = initial;
    const card = (id) => page.locator(`[data-testid="shot-card"][data-shot-id="${id}"]`);
    const box = await card(b).boundingBox();
    await card(a).dragTo(card(b), { targetPosition: { x: box.width - 6, y: box.height / 2 } });
    const afterDrag = [b, a, ...initial.slice(2)];
    await waitUntil(async () => JSON.stringify(await shownShotIds(page)) === JSON.stringify(afterDrag), 'the grid shows the dragged order');
    await waitUntil(
      async () => JSON.stringify(await serverShotIds(server, projectId)) === JSON.stringify(afterDrag),
      'the server holds the dragged order',
    );

    // ---- keyboard: arrows move the focus, Alt+ArrowUp moves the focused shot ----
    await card(b).focus();
    await page.keyboard.press('ArrowRight');
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-shot-id') ?? null);
    await expectPoll(focused, a, 'ArrowRight focuses the next card');
    await page.keyboard.press('ArrowRight');
    await expectPoll(focused, c, 'ArrowRight again focuses the third card');
    await page.keyboard.press('Alt+ArrowUp'); // c goes before a
    const afterKeys = [b, c, a, ...initial.slice(3)];
    await waitUntil(async () => JSON.stringify(await shownShotIds(page)) === JSON.stringify(afterKeys), 'the grid shows the keyboard move');
    await expectPoll(focused, c, 'the moved shot keeps the focus');
    await waitUntil(
      async () => JSON.stringify(await serverShotIds(server, projectId)) === JSON.stringify(afterKeys),
      'the server holds the keyboard order',
    );

    // Both moves survive a reload.
    await page.reload();
    await page.getByTestId('storyboard').waitFor();
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === initial.length, 'cards after reload');
    await expectPoll(() => shownShotIds(page), afterKeys, 'the moves survive a reload');
    await expectPoll(() => card(c).getByTestId('shot-number').innerText(), '2', 'the moved shot is numbered 2');

    // ---- upload a script file: it becomes the script and an original_script asset ----
    await page.getByTestId('tab-script').click();
    await page.getByTestId('script-editor').waitFor();
    const fountain = 'Title: Upload Test\n\nINT. LAB - NIGHT\n\nA lamp flickers.\n\nDR. ADA\nIt works.\n';
    await page.getByTestId('upload-script-input').setInputFiles({
      name: 'upload_test.fountain',
      mimeType: 'text/plain',
      buffer: Buffer.from(fountain, 'utf8'),
    });
    await page.getByTestId('toast').filter({ hasText: 'upload_test.fountain' }).waitFor();
    await waitUntil(async () => editorShows(page, fountain), 'the editor shows the uploaded script');
    await waitUntil(
      async () => (await breakdownSceneHeadings(page)).join('|') === 'INT. LAB - NIGHT',
      'the breakdown follows the uploaded script',
    );

    // ---- asset browser: trash the uploaded script, find it in the trash, restore it ----
    await page.getByTestId('tab-assets').click();
    const row = page.locator('[data-testid="asset-row"]').filter({ hasText: 'upload_test.fountain' });
    await row.waitFor();
    const assetId = await expectPoll(() => row.getAttribute('data-asset-id'), Boolean, 'the row names its asset');
    await expectPoll(() => row.getAttribute('data-asset-type'), 'original_script', 'the upload is an original_script asset');
    await expectPoll(
      () => row.getByTestId('asset-download').getAttribute('href'),
      new RegExp(`/api/v1/assets/${assetId}/download$`),
      'the row links to the asset’s download',
    );

    await row.getByTestId('asset-trash').click();
    await row.waitFor({ state: 'detached' });
    await waitUntil(
      async () => (await api(server, 'GET', `/api/v1/assets/${assetId}`)).body.status === 'trashed',
      'the server has the asset in the trash',
    );

    await page.getByTestId('asset-view-trashed').click();
    const trashed = page.locator(`[data-testid="asset-row"][data-asset-id="${assetId}"]`);
    await trashed.waitFor();
    await trashed.getByTestId('asset-restore').click();
    await trashed.waitFor({ state: 'detached' });
    await page.getByTestId('assets-empty').waitFor();
    await waitUntil(
      async () => (await api(server, 'GET', `/api/v1/assets/${assetId}`)).body.status === 'active',
      'the server has the asset back',
    );

    await page.getByTestId('asset-view-active').click();
    await page.locator(`[data-testid="asset-row"][data-asset-id="${assetId}"]`).waitFor();

    // ---- Back returns to the list, which now shows the project ----
    await page.getByTestId('editor-back').click();
    await page.getByTestId('project-list').waitFor();
    await expectPoll(() => page.getByTestId('project-row').count(), 1, 'the list shows the project');
  }),
);

test('editor: versions, shot edit in place, delete with undo, characters', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const samples = (await api(server, 'GET', '/api/v1/samples')).body;
    const opened = await api(server, 'POST', `/api/v1/samples/${samples[0].id}/open`);
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const projectId = opened.body.id;

    // Opening from the list: the row's link.
    await page.goto(`${server.url}/`);
    // With projects listed, the header offers the samples in a dialog.
    await page.getByTestId('open-samples').click();
    await page.getByTestId('samples-dialog').waitFor();
    // The dialog appears before its list has loaded: wait for the entries (issue 15: a flaky count).
    await expectPoll(
      () => page.getByTestId('samples-dialog').getByTestId('sample-open').count(),
      samples.length,
      'the samples dialog lists every sample',
    );
    await page.keyboard.press('Escape');
    await page.getByTestId('samples-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('open-project').click();
    const editor = page.getByTestId('editor');
    await editor.waitFor();
    await expectPoll(() => editor.getAttribute('data-project-id'), projectId, 'the row opens its project');
    const v1 = await expectPoll(() => editor.getAttribute('data-version-id'), Boolean, 'the editor names its version');

    // ---- new version: a copy that becomes current; the switcher goes back to v1 ----
    await page.getByTestId('new-version').click();
    const v2 = await waitUntil(async () => {
      const id = await editor.getAttribute('data-version-id');
      return id && id !== v1 && id;
    }, 'the editor shows the new version');
    const versions = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions`)).body;
    assert.equal(versions.total, 2);
    assert.equal(versions.items.find((v) => v.id === v2).is_current, true);
    await waitUntil(async () => (await page.getByTestId('version-select').locator('option').count()) === 2, 'two versions listed');

    // Edit v2's script; v1 keeps its own.
    const scriptInput = page.getByTestId('script-editor');
    await waitUntil(async () => (await editorLength(page)) > 0, 'v2 has the copied script');
    await scriptInput.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\n\nINT. ONLY IN V2 - DAY\n\nSomething new.\n');
    await page.keyboard.press('Control+s');
    await waitUntil(async () => {
      const s = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${v2}/script`)).body;
      return s.text.includes('ONLY IN V2');
    }, 'v2 saved');

    await page.getByTestId('version-select').selectOption(v1);
    await waitUntil(async () => (await editor.getAttribute('data-version-id')) === v1, 'switched back to v1');
    await waitUntil(async () => {
      const v1Text = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${v1}/script`)).body.text;
      return !v1Text.includes('ONLY IN V2') && (await editorShows(page, v1Text));
    }, 'v1 shows its own script');
    await expectPoll(
      async () => (await api(server, 'GET', `/api/v1/projects/${projectId}`)).body.current_version_id,
      v1,
      'the server holds v1 as the current version',
    );

    // ---- storyboard: edit a shot in place (Enter, fields, Enter), Escape cancels ----
    await page.getByTestId('tab-storyboard').click();
    await page.getByTestId('storyboard').waitFor();
    const first = page.getByTestId('shot-card').first();
    await first.waitFor();
    const shotId = await expectPoll(() => first.getAttribute('data-shot-id'), Boolean, 'the first card names its shot');
    await first.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('shot-form').waitFor();
    await page.getByTestId('shot-description-input').fill('Not this');
    await page.keyboard.press('Escape');
    await page.getByTestId('shot-form').waitFor({ state: 'detached' });
    assert.notEqual(await first.getByTestId('shot-description').innerText(), 'Not this');

    await first.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('shot-description-input').fill('A close-up of trembling hands.');
    await page.getByTestId('shot-duration-input').fill('4.5');
    await page.getByTestId('shot-type-select').selectOption('close_up');
    await page.getByTestId('shot-camera-select').selectOption('dolly_in');
    await page.getByTestId('shot-duration-input').press('Enter');
    await page.getByTestId('shot-form').waitFor({ state: 'detached' });
    await waitUntil(async () => {
      const s = (await api(server, 'GET', `/api/v1/storyboards/${shotId}`)).body;
      return s.description === 'A close-up of trembling hands.' && s.duration === 4.5 && s.shot_type === 'close_up' && s.camera_move === 'dolly_in' && s.edited === true;
    }, 'the shot edit is saved');
    await expectPoll(() => first.getByTestId('shot-type').innerText(), 'Close-up', 'the card shows the new shot type');
    // Choosing "Any" clears the camera move on the server.
    await first.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('shot-camera-select').selectOption('');
    await page.getByTestId('shot-duration-input').press('Enter');
    await page.getByTestId('shot-form').waitFor({ state: 'detached' });
    await waitUntil(async () => (await api(server, 'GET', `/api/v1/storyboards/${shotId}`)).body.camera_move === null, 'the camera move is cleared');
    await expectPoll(() => first.getByTestId('shot-camera-move').innerText(), 'Any move', 'the card shows no camera move');

    // ---- Delete trashes the focused shot; Undo brings it back ----
    const count = (await serverShotIds(server, projectId)).length;
    await expectPoll(() => page.getByTestId('shot-card').count(), count, 'every shot of v1 has a card');
    await page.locator(`[data-testid="shot-card"][data-shot-id="${shotId}"]`).focus();
    await page.keyboard.press('Delete');
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === count - 1, 'the shot is gone from the grid');
    await page.getByTestId('undo-delete-shot').click();
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === count, 'the shot is back');
    await expectPoll(() => page.getByTestId('shot-card').first().getAttribute('data-shot-id'), shotId, 'the restored shot is first again');

    // ---- merge the first shot with the next one, then split it again ----
    await page.getByTestId('shot-card').first().getByTestId('shot-merge').click();
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === count - 1, 'two shots merged into one');
    await expectPoll(() => page.getByTestId('shot-card').first().getAttribute('data-shot-id'), shotId, 'the merge keeps the first shot');
    await expectPoll(
      () => page.getByTestId('shot-card').first().getByTestId('shot-description').innerText(),
      /^A close-up of trembling hands\. /,
      'the merged shot has both descriptions',
    );
    await page.getByTestId('shot-card').first().getByTestId('shot-split').click();
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === count, 'the merged shot split in two');
    await expectPoll(async () => (await serverShotIds(server, projectId)).length, count, 'the server holds the split');

    // ---- characters: the parser's proposals can be confirmed; a new one can be created ----
    await page.getByTestId('tab-characters').click();
    await page.getByTestId('characters').waitFor();
    // Wait for the list to match the server before deciding whether there is a proposal to confirm.
    const listed = (await api(server, 'GET', `/api/v1/characters?project_id=${projectId}`)).body.items;
    await expectPoll(() => page.getByTestId('character-card').count(), listed.length, 'a card per character');
    const proposed = page.locator('[data-testid="character-card"][data-status="proposed"]');
    const proposedCount = listed.filter((c) => c.status === 'proposed').length;
    await expectPoll(() => proposed.count(), proposedCount, 'the proposed characters are marked');
    if (proposedCount > 0) {
      const cid = await proposed.first().getAttribute('data-character-id');
      await proposed.first().getByTestId('character-confirm').click();
      await page.locator(`[data-testid="character-card"][data-character-id="${cid}"][data-status="confirmed"]`).waitFor();
    }
    await page.getByTestId('new-character').click();
    await page.getByTestId('character-name-input').fill('Narrator');
    await page.getByTestId('character-voice-input').fill('calm baritone');
    await page.getByTestId('character-save').click();
    await page.locator('[data-testid="character-name"]', { hasText: 'Narrator' }).waitFor();
    const chars = (await api(server, 'GET', `/api/v1/characters?project_id=${projectId}`)).body;
    const narrator = chars.items.find((c) => c.name === 'Narrator');
    assert.ok(narrator, 'the character exists on the server');
    assert.equal(narrator.voice, 'calm baritone');

    // A reference image: uploaded, then shown as the card's thumbnail.
    const card = page.locator(`[data-testid="character-card"][data-character-id="${narrator.id}"]`);
    await card.getByTestId('character-image-input').setInputFiles({ name: 'narrator.png', mimeType: 'image/png', buffer: PNG_8x8 });
    const thumb = card.getByTestId('character-thumb');
    await thumb.waitFor();
    await waitUntil(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail loads');
    await expectPoll(
      async () => (await api(server, 'GET', `/api/v1/characters/${narrator.id}`)).body.reference_asset_ids.length,
      1,
      'the server holds one reference image',
    );
  }),
);
