// Browser end-to-end test of the creator tools (docs/CREATE.md) against the real `storyloom serve`
// and headless Chromium. No model is configured, so the built-in writer answers at once with the
// tool's structure (`# <title>`, then `## <section>` for each of its sections in
// assets/writing/tools.json), the outline is the deck and the built-in renderer draws the picture,
// all for free.
//   1. Writing → Creations: on `#/create` the Business plan tool writes its draft (the title
//      heading and the tool's sections, free, by the built-in writer); a line appended to the
//      text is saved (the server holds it); on `#/creations` it is deleted (gone from the list,
//      in the trash) and Undo in the toast brings it back. Then a Short video script is opened as
//      a project: the editor opens on a project named after its title, holding the script.
//   2. Deck and image: a deck of a topic and three outline points has 4 slides, free, and its
//      Download gives the `.pptx` (a zip of four slides, the presentation content type); an image
//      drawn at 720×1280 shows as a picture of 720×1280 pixels.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/create.test.mjs
// Same prerequisites as the other browser tests (server binary, ui/dist, playwright-core,
// Chromium).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  repoRoot,
  saveFailureArtifacts,
  shoot,
  startServer,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 60_000;

const PPTX_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

/** The writing tools' catalogue, as the server reads it. */
const TOOLS = JSON.parse(readFileSync(path.join(repoRoot, 'assets', 'writing', 'tools.json'), 'utf8'));
const BUSINESS_PLAN = TOOLS.find((x) => x.type === 'business_plan');
const VIDEO_SCRIPT = TOOLS.find((x) => x.type === 'video_script');

let browser;

before(async () => {
  checkPrerequisites();
  assert.ok(BUSINESS_PLAN && BUSINESS_PLAN.sections.length >= 3, 'tools.json has the business plan and its sections');
  assert.ok(VIDEO_SCRIPT, 'tools.json has the short video script');
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
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
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

/** The `## ` headings of a Markdown text, in order. */
function headings(text) {
  return text
    .split('\n')
    .filter((l) => l.startsWith('## '))
    .map((l) => l.slice(3).trim());
}

/** Picks a writing tool by its English name on the Create page; resolves with its form. */
async function pickWritingTool(page, tool) {
  const card = page.getByTestId('tool-picker').getByRole('button', { name: new RegExp(`^${tool.name_en.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`) });
  await card.click();
  await expectPoll(() => card.getAttribute('aria-pressed'), 'true', `the ${tool.name_en} card is chosen`);
  const form = page.getByTestId('writing-form');
  await expectPoll(() => form.getAttribute('data-tool'), tool.type, `the form is the ${tool.type} one`);
  await expectPoll(() => page.getByTestId('writing-form-title').innerText(), tool.name_en, 'the form names the tool');
  return form;
}

/** Clicks Generate and waits for the finished, saved result; resolves with it and its creation's id. */
async function generate(page, form) {
  await form.getByRole('button', { name: 'Generate', exact: true }).click();
  const done = page.getByTestId('generation-done');
  await done.waitFor({ timeout: 20_000 });
  assert.equal(await page.getByTestId('generation-error').count(), 0, 'no error shown');
  const id = await done.getAttribute('data-creation-id');
  assert.ok(id, 'the result names its creation');
  return { done, id };
}

/** The titles the Creations list shows, in order. */
function shownTitles(page) {
  return page.getByTestId('creation-item-title').allInnerTexts();
}

test('writing: a business plan is generated free, edited and saved, trashed and undone; a video script opens as a project', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const title = 'Night market coffee cart';
    const keywords = 'coffee, night market, students';
    const appended = 'Added by hand: start with two carts near the university gate.';

    await page.goto(`${server.url}/#/create`);
    await page.getByTestId('create-page').waitFor();
    await expectPoll(() => page.getByTestId('create-page').locator('h1').innerText(), 'Create', 'the page title (in English)');
    const cards = page.getByTestId('tool-picker').getByTestId('tool-card');
    await expectPoll(() => cards.count(), TOOLS.length, 'the grid shows every writing tool');

    // ---- Business plan: title and keywords, Generate ----
    const form = await pickWritingTool(page, BUSINESS_PLAN);
    await expectPoll(() => form.getByTestId('writing-cost-chip').innerText(), 'Free (offline draft)', 'no model: the form says it is free');
    await form.getByRole('textbox', { name: /^Title or topic/ }).fill(title);
    await form.getByRole('textbox', { name: /^Keywords/ }).fill(keywords);
    await expectPoll(() => form.getByTestId('keyword-chip').allInnerTexts(), ['coffee', 'night market', 'students'], 'the keywords as chips');
    const { done, id } = await generate(page, form);

    // ---- the draft: the title heading, the tool's sections, free, by the built-in writer ----
    const text = done.getByRole('textbox', { name: /^Text/ });
    const draft = await expectPoll(() => text.inputValue(), (v) => v.length > 0, 'the result holds the text');
    assert.equal(draft.split('\n')[0], `# ${title}`, `the title heading: ${draft.slice(0, 200)}`);
    const shown = headings(draft);
    const found = BUSINESS_PLAN.sections.filter((s) => shown.includes(s));
    assert.ok(found.length >= 3, `at least three business plan sections as headings: ${JSON.stringify(shown)}`);
    assert.deepEqual(shown, BUSINESS_PLAN.sections, 'the built-in writer lays out every section, in order');
    assert.match(draft, /关键词：coffee、night market、students/, 'the keywords are in the draft');
    await expectPoll(() => done.getByTestId('generation-credits').innerText(), 'Free', 'it cost nothing');
    await expectPoll(() => done.getByTestId('generation-model').innerText(), 'Built-in writer', 'the built-in writer wrote it');
    assert.equal(await done.getByRole('textbox', { name: 'Title', exact: true }).inputValue(), title);
    const save = done.getByTestId('creation-save');
    await expectPoll(() => save.innerText(), /^\s*Saved\s*$/, 'nothing to save yet');
    assert.equal(await save.isDisabled(), true);
    assert.equal(await done.getByTestId('creation-open-project').count(), 0, 'no Open as project for a business plan');
    await shoot(page, 'create-business-plan');

    // ---- find it through the API: free, by `builtin` ----
    const listed = await api(server, 'GET', '/api/v1/creations');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const item = listed.body.items.find((c) => c.title === title);
    assert.ok(item, `the creation is listed: ${JSON.stringify(listed.body)}`);
    assert.equal(item.id, id, 'the one the result shows');
    const before = (await api(server, 'GET', `/api/v1/creations/${id}`)).body;
    assert.equal(before.tool_type, 'business_plan');
    assert.equal(before.model, 'builtin');
    assert.equal(before.credits_used, 0);
    assert.equal(before.content, draft, 'the result shows the saved text');

    // ---- append a line, Save: the server holds it ----
    await text.focus();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(`\n${appended}`);
    await expectPoll(() => save.innerText(), /^\s*Save\s*$/, 'an edit to save');
    await save.click();
    await page.getByTestId('toast').filter({ hasText: 'Saved.' }).waitFor();
    await expectPoll(() => save.innerText(), /^\s*Saved\s*$/, 'saved');
    const edited = await expectPoll(
      async () => (await api(server, 'GET', `/api/v1/creations/${id}`)).body,
      (c) => c?.content?.includes(appended),
      'the server holds the appended line',
    );
    assert.ok(edited.content.startsWith(draft), 'the draft is kept before it');
    assert.ok(edited.content.endsWith(`\n${appended}`), JSON.stringify(edited.content.slice(-120)));

    // ---- Creations: delete it, Undo from the toast ----
    await page.goto(`${server.url}/#/creations`);
    await page.getByTestId('creations-page').waitFor();
    await expectPoll(() => shownTitles(page), [title], 'the list shows the business plan');
    const row = page.getByTestId('creation-item').filter({ hasText: title });
    await expectPoll(() => row.getByTestId('creation-item-credits').innerText(), 'Free', 'the list says it was free');
    await expectPoll(() => row.getByTestId('creation-item-tool').innerText(), BUSINESS_PLAN.name_en, 'the list names the tool');
    await row.getByRole('button', { name: `Delete “${title}”` }).click();
    await page.getByTestId('creations-empty').waitFor();
    await expectPoll(() => shownTitles(page), [], 'the list no longer shows it');
    const toast = page.getByTestId('toast').filter({ hasText: `“${title}” moved to the trash.` });
    await toast.waitFor();
    const trashed = await api(server, 'GET', '/api/v1/creations?trashed=true');
    assert.deepEqual(trashed.body.items.map((c) => c.id), [id], 'it is in the trash');
    assert.ok(trashed.body.items[0].deleted_at, 'with deleted_at set');
    assert.equal((await api(server, 'GET', `/api/v1/creations/${id}`)).status, 404, 'a trashed creation is not served');
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expectPoll(() => shownTitles(page), [title], 'Undo brings it back to the list');
    await page.getByTestId('toast').filter({ hasText: `“${title}” restored.` }).waitFor();
    const restored = await api(server, 'GET', `/api/v1/creations/${id}`);
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(restored.body.deleted_at, null, 'deleted_at is cleared');
    assert.ok(restored.body.content.includes(appended), 'the saved edit is kept');
    assert.deepEqual((await api(server, 'GET', '/api/v1/creations?trashed=true')).body.items, [], 'the trash is empty');

    // ---- Short video script → Open as project ----
    const scriptTitle = 'Rainy night phone call';
    await page.goto(`${server.url}/#/create`);
    await page.getByTestId('create-page').waitFor();
    const scriptForm = await pickWritingTool(page, VIDEO_SCRIPT);
    await scriptForm.getByRole('textbox', { name: /^Title or topic/ }).fill(scriptTitle);
    const script = await generate(page, scriptForm);
    const scriptText = await expectPoll(() => script.done.getByRole('textbox', { name: /^Text/ }).inputValue(), /^Title: /, 'the script in Fountain');
    assert.ok(scriptText.startsWith(`Title: ${scriptTitle}\n`), scriptText.slice(0, 120));
    const projectsBefore = (await api(server, 'GET', '/api/v1/projects')).body;
    assert.equal(projectsBefore.total, 0, 'no project yet');
    await script.done.getByRole('button', { name: 'Open as project' }).click();

    const editor = page.getByTestId('editor');
    await editor.waitFor({ timeout: 20_000 });
    const projectId = await editor.getAttribute('data-project-id');
    assert.ok(projectId, 'the editor names its project');
    await expectPoll(() => page.evaluate(() => window.location.hash), `#/projects/${projectId}`, 'the address is the project');
    await expectPoll(() => page.getByTestId('editor-title').innerText(), scriptTitle, 'the editor shows the project named after the title');
    await page.getByTestId('toast').filter({ hasText: `Project “${scriptTitle}” made from the script.` }).waitFor();
    const projects = (await api(server, 'GET', '/api/v1/projects')).body;
    assert.equal(projects.total, 1, JSON.stringify(projects));
    assert.equal(projects.items[0].id, projectId);
    assert.equal(projects.items[0].name, scriptTitle);
    const scriptCreation = (await api(server, 'GET', `/api/v1/creations/${script.id}`)).body;
    assert.equal(scriptCreation.project_id, projectId, 'the creation names its project');
    const project = (await api(server, 'GET', `/api/v1/projects/${projectId}`)).body;
    const stored = await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${project.current_version_id}/script`);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    assert.equal(stored.body.text, scriptText, "the project's script is the creation's text");
    await shoot(page, 'create-script-project');
  }),
);

test('deck and image: a 4-slide .pptx to download and a 720×1280 picture, both free', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const topic = 'Storyloom launch';
    const outline = ['Why now', 'Core features: offline; sync across devices', 'Next steps'];

    await page.goto(`${server.url}/#/create`);
    await page.getByTestId('create-page').waitFor();
    const media = page.getByTestId('media-picker');

    // ---- Slide deck: a topic and three outline points ----
    await media.getByRole('button', { name: /^Slide deck/ }).click();
    await expectPoll(() => page.evaluate(() => window.location.hash), '#/create?tool=deck', 'the address keeps the tool');
    const deckForm = page.getByTestId('deck-form');
    await deckForm.getByRole('textbox', { name: /^Topic/ }).fill(topic);
    await deckForm.getByRole('textbox', { name: /^Outline/ }).fill(outline.join('\n'));
    await expectPoll(() => deckForm.getByTestId('deck-slide-count').innerText(), '4 slides: the title slide and 3 points', 'the form counts the slides');
    await expectPoll(
      () => deckForm.getByTestId('deck-outline-point').allInnerTexts(),
      ['Why now', 'Core features — offline · sync across devices', 'Next steps'],
      'the outline preview',
    );
    await deckForm.getByRole('button', { name: 'Make the deck' }).click();
    const deck = page.getByTestId('deck-done');
    await deck.waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('deck-error').count(), 0, 'no error shown');
    const deckId = await deck.getAttribute('data-creation-id');
    assert.ok(deckId, 'the result names its creation');
    await expectPoll(() => deck.getByTestId('deck-slides').innerText(), '4 slides', 'four slides: the title and one a point');
    await expectPoll(() => deck.getByTestId('deck-credits').innerText(), 'Free', 'the deck was free');
    const link = deck.getByRole('link', { name: 'Download .pptx' });
    const href = await link.getAttribute('href');
    assert.ok(href?.endsWith(`/api/v1/creations/${deckId}/file`), `the link is the creation's file: ${href}`);
    await shoot(page, 'create-deck');

    // The file the link names: a zip (PK) of four slides, with the presentation type.
    const res = await fetch(new URL(href, server.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PPTX_TYPE);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'a zip');
    const slides = new Set(bytes.toString('latin1').match(/ppt\/slides\/slide\d+\.xml/g));
    assert.equal(slides.size, 4, `four slide parts: ${[...slides]}`);
    // Clicking it saves the same file.
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(dl.suggestedFilename(), `${topic}.pptx`);
    const saved = readFileSync(await dl.path());
    assert.ok(saved.equals(bytes), 'the download is the file');
    const deckCreation = (await api(server, 'GET', `/api/v1/creations/${deckId}`)).body;
    assert.equal(deckCreation.type, 'ppt');
    assert.equal(deckCreation.credits_used, 0);
    assert.equal(deckCreation.input.slide_count, 4);

    // ---- Image: 720×1280 ----
    await media.getByRole('button', { name: /^Image/ }).click();
    await expectPoll(() => page.evaluate(() => window.location.hash), '#/create?tool=image', 'the address keeps the tool');
    const imageForm = page.getByTestId('image-form');
    await imageForm.waitFor();
    assert.equal(await deckForm.isVisible(), false, 'the deck tool is hidden');
    await imageForm.getByRole('textbox', { name: /^What to draw/ }).fill('A rainy street at night, a girl with a red umbrella');
    await imageForm.getByRole('combobox', { name: /^Size/ }).selectOption('720x1280');
    await expectPoll(
      () => imageForm.getByRole('combobox', { name: /^Size/ }).evaluate((s) => s.selectedOptions[0].textContent),
      'Portrait · 720×1280',
      'the size chosen',
    );
    await imageForm.getByRole('button', { name: 'Draw' }).click();
    const drawn = page.getByTestId('image-done');
    await drawn.waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('image-error').count(), 0, 'no error shown');
    const imageId = await drawn.getAttribute('data-creation-id');
    const img = drawn.getByRole('img');
    await expectPoll(
      () => img.evaluate((el) => (el.complete && el.naturalWidth > 0 ? [el.naturalWidth, el.naturalHeight] : null)),
      [720, 1280],
      'the picture is 720×1280',
    );
    await expectPoll(() => drawn.getByTestId('image-credits').innerText(), 'Free', 'the picture was free');
    await shoot(page, 'create-image');
    const imageCreation = (await api(server, 'GET', `/api/v1/creations/${imageId}`)).body;
    assert.equal(imageCreation.type, 'image');
    assert.equal(imageCreation.credits_used, 0);
    assert.equal(imageCreation.input.size, '720x1280');
  }),
);
