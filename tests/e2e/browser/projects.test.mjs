// Browser end-to-end tests of the projects page against the real `storyloom serve`.
//   node --test tests/e2e/browser/
// Needs: the server binary (STORYLOOM_BIN, default target/debug/storyloom), ui/dist built, and
// `npm ci` done in ui/ (for playwright-core), Chromium at /usr/bin/chromium (STORYLOOM_CHROMIUM).
// On failure a screenshot, the page's HTML and the server's output go to ./artifacts/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  startServer,
  waitUntil,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * Runs one scenario with its own browser context and its own servers/data dirs, saving
 * artifacts when it fails and always cleaning up.
 */
async function scenario(t, fn) {
  const servers = [];
  const dirs = [];
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const ctx = {
    page,
    servers,
    dataDir() {
      const d = makeDataDir();
      dirs.push(d);
      return d;
    },
    async start(dir, opts) {
      const s = await startServer(dir, opts);
      servers.push(s);
      return s;
    },
  };
  try {
    await fn(ctx);
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers, notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    for (const s of servers) {
      if (!s.unexpectedExit) continue;
      t.diagnostic(`server ${s.url} died on its own: ${JSON.stringify(s.unexpectedExit)}`);
      const lines = s.stderr.trim().split('\n');
      const panic = lines.findIndex((l) => l.includes('panicked at'));
      const shown = panic >= 0 ? lines.slice(panic, panic + 3) : lines.slice(-8);
      for (const l of shown) t.diagnostic(`  ${l}`);
    }
    throw e;
  } finally {
    await context.close().catch(() => {});
    for (const s of servers) await s.stop();
    for (const d of dirs) removeDir(d);
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function rows(page) {
  return page.getByTestId('project-row');
}

function rowNamed(page, name) {
  return rows(page).filter({
    has: page.getByTestId('project-name').filter({ hasText: new RegExp(`^${escapeRe(name)}$`) }),
  });
}

async function expectRowCount(page, n) {
  await waitUntil(async () => (await rows(page).count()) === n, `expected ${n} project rows`);
}

async function text(locator) {
  return ((await locator.textContent()) ?? '').trim();
}

async function projectNames(page) {
  return page.getByTestId('project-name').allTextContents();
}

async function createViaDialog(page, { name, description, aspect }) {
  await page.getByTestId('new-project').click();
  const dialog = page.getByTestId('new-project-dialog');
  await dialog.waitFor();
  await page.getByTestId('project-name-input').fill(name);
  if (description) await page.getByTestId('project-description-input').fill(description);
  if (aspect) await page.getByTestId(`aspect-option-${aspect}`).click();
  await page.getByTestId('create-project').click();
  await dialog.waitFor({ state: 'detached' });
  await rowNamed(page, name).waitFor();
}

test('projects: empty state, create, rename, delete, undo, delete again', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    await page.goto(`${server.url}/`);

    // First run: the empty state with its call to action, and the connection indicator.
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    await expectPoll(() => empty.getAttribute('data-variant'), 'first-run', 'the first-run empty state');
    await expectPoll(() => rows(page).count(), 0, 'no project rows');
    await waitUntil(
      async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'ok',
      'sidebar shows the server as connected',
    );

    // Keyboard: `n` opens the dialog, Escape closes it.
    await page.keyboard.press('n');
    const dialog = page.getByTestId('new-project-dialog');
    await dialog.waitFor();
    // Typing `n` in the name field must not open a second dialog or lose the character.
    await page.getByTestId('project-name-input').pressSequentially('nn');
    await expectPoll(() => page.getByTestId('project-name-input').inputValue(), 'nn', 'both n went into the name field');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Name is required: the error is shown next to the field and nothing is sent.
    await page.getByTestId('empty-new-project').click();
    await dialog.waitFor();
    await expectPoll(() => page.getByTestId('project-name-input').inputValue(), '', 'the dialog opens blank');
    await page.getByTestId('create-project').click();
    await page.getByTestId('field-error-name').waitFor();
    await expectPoll(() => page.getByTestId('field-error-name').textContent(), /required/i, 'the name is required');
    assert.equal((await api(server, 'GET', '/api/v1/projects')).body.total, 0);

    // Create.
    await page.getByTestId('project-name-input').fill('Midnight Confession');
    await page.getByTestId('project-description-input').fill('A barista hides a secret');
    await page.getByTestId('aspect-option-16:9').click();
    await page.getByTestId('create-project').click();
    await dialog.waitFor({ state: 'detached' });
    const row = rowNamed(page, 'Midnight Confession');
    await row.waitFor();
    await empty.waitFor({ state: 'detached' });
    await expectRowCount(page, 1);
    await expectPoll(() => row.getByTestId('aspect-badge').innerText(), '16:9', 'the aspect badge');
    await expectPoll(() => row.getByTestId('status-badge').getAttribute('data-status'), 'draft', 'the status badge');
    await expectPoll(() => row.getByTestId('project-description').innerText(), 'A barista hides a secret', 'the description');
    await expectPoll(() => row.getByTestId('project-updated').innerText(), 'just now', 'the updated time');
    const created = (await api(server, 'GET', '/api/v1/projects')).body;
    assert.equal(created.total, 1);
    assert.equal(created.items[0].name, 'Midnight Confession');
    assert.equal(created.items[0].aspect_ratio, '16:9');
    const id = created.items[0].id;
    await expectPoll(() => row.getAttribute('data-project-id'), id, 'the row is the created project');

    // Rename, cancelled with Escape: nothing changes.
    await row.getByTestId('rename-project').click();
    const input = page.getByTestId('rename-input');
    await input.waitFor();
    await expectPoll(() => input.inputValue(), 'Midnight Confession', 'the rename input starts with the name');
    await input.fill('Not this one');
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'detached' });
    assert.deepEqual(await projectNames(page), ['Midnight Confession']);

    // Rename, saved with Enter.
    await row.getByTestId('rename-project').click();
    await input.waitFor();
    await input.fill('Midnight Confession — Ep. 1');
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'detached' });
    await rowNamed(page, 'Midnight Confession — Ep. 1').waitFor();
    await expectPoll(() => projectNames(page), ['Midnight Confession — Ep. 1'], 'the list shows the new name only');
    assert.equal((await api(server, 'GET', `/api/v1/projects/${id}`)).body.name, 'Midnight Confession — Ep. 1');

    // Delete with confirmation; cancelling first keeps it.
    const renamed = rowNamed(page, 'Midnight Confession — Ep. 1');
    await renamed.getByTestId('delete-project').click();
    const confirm = page.getByTestId('delete-dialog');
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await expectRowCount(page, 1);

    await renamed.getByTestId('delete-project').click();
    await confirm.waitFor();
    await expectPoll(() => confirm.innerText(), /Midnight Confession — Ep\. 1/, 'the confirmation names the project');
    await page.getByTestId('confirm-delete').click();
    await confirm.waitFor({ state: 'detached' });
    await expectRowCount(page, 0);
    await empty.waitFor();
    assert.equal((await api(server, 'GET', '/api/v1/projects')).body.total, 0);

    // Undo brings it back, with its new name.
    const undo = page.getByTestId('undo-delete');
    await undo.waitFor();
    await undo.click();
    await rowNamed(page, 'Midnight Confession — Ep. 1').waitFor();
    await expectRowCount(page, 1);
    assert.equal((await api(server, 'GET', '/api/v1/projects')).body.total, 1);

    // Delete again, for good.
    await rowNamed(page, 'Midnight Confession — Ep. 1').getByTestId('delete-project').click();
    await page.getByTestId('confirm-delete').click();
    await expectRowCount(page, 0);
    await empty.waitFor();
    assert.equal((await api(server, 'GET', '/api/v1/projects')).body.total, 0);
  }),
);

test('projects: server errors: validation next to the field, others in a toast', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    await page.goto(`${server.url}/`);
    await page.getByTestId('empty-state').waitFor();

    // The UI checks only what it must (required, length); the server also refuses control
    // characters, and its 422 must land next to the name field with the server's own words.
    const badName = 'Bad\tName';
    const refused = await api(server, 'POST', '/api/v1/projects', { name: badName });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.field, 'name');
    await page.getByTestId('new-project').click();
    await page.getByTestId('project-name-input').fill(badName);
    await page.getByTestId('create-project').click();
    const fieldError = page.getByTestId('field-error-name');
    await fieldError.waitFor();
    await expectPoll(() => fieldError.innerText(), refused.body.detail, 'the server’s detail is beside the name');
    await expectPoll(() => page.getByTestId('project-name-input').getAttribute('aria-invalid'), 'true', 'the name field is marked invalid');
    // A check that something did not happen: read once, after the error it would come with.
    assert.equal(await page.getByTestId('toast').count(), 0, 'a field error is not also toasted');
    // Fixing the name clears the error and creates the project.
    await page.getByTestId('project-name-input').fill('Gone Girl Next Door');
    await expectPoll(() => fieldError.count(), 0, 'editing the name clears its error');
    await page.getByTestId('create-project').click();
    await page.getByTestId('new-project-dialog').waitFor({ state: 'detached' });
    const row = rowNamed(page, 'Gone Girl Next Door');
    await row.waitFor();
    const id = await expectPoll(() => row.getAttribute('data-project-id'), Boolean, 'the row names its project');

    // Same for rename: the error stays next to the input, which stays open.
    await row.getByTestId('rename-project').click();
    await page.getByTestId('rename-input').fill(badName);
    await page.getByTestId('rename-input').press('Enter');
    const renameError = page.getByTestId('rename-error');
    await renameError.waitFor();
    await expectPoll(() => renameError.innerText(), refused.body.detail, 'the server’s detail is beside the rename input');
    await expectPoll(() => page.getByTestId('rename-input').inputValue(), badName, 'the rename input keeps what was typed');
    // The input keeps the keyboard focus after the failed save, so Escape (sent to whatever
    // has focus, not to the input directly) still cancels.
    await page.keyboard.press('Escape');
    await page.getByTestId('rename-input').waitFor({ state: 'detached' });
    assert.deepEqual(await projectNames(page), ['Gone Girl Next Door']);

    // Someone else deletes it; renaming it here fails with the server's own message in a toast.
    assert.equal((await api(server, 'DELETE', `/api/v1/projects/${id}`)).status, 200);
    await row.getByTestId('rename-project').click();
    await page.getByTestId('rename-input').fill('Renamed too late');
    await page.getByTestId('rename-input').press('Enter');

    const expected = await api(server, 'PATCH', `/api/v1/projects/${id}`, { name: 'Renamed too late' });
    assert.equal(expected.status, 404);
    assert.equal(expected.body.error_code, 'NOT_FOUND');
    const toast = page.getByTestId('toast').filter({ hasText: expected.body.detail });
    await toast.waitFor();
    await expectPoll(() => toast.getAttribute('data-kind'), 'error', 'an error toast');
    // The list is refreshed and no longer shows the deleted project.
    await page.getByTestId('empty-state').waitFor();
  }),
);

test('projects: status filter and pagination', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    for (let i = 1; i <= 21; i++) {
      const res = await api(server, 'POST', '/api/v1/projects', { name: `Episode ${String(i).padStart(2, '0')}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const first = (await api(server, 'GET', '/api/v1/projects?limit=1')).body.items[0];
    const done = await api(server, 'PATCH', `/api/v1/projects/${first.id}`, { status: 'completed' });
    assert.equal(done.status, 200, JSON.stringify(done.body));

    await page.goto(`${server.url}/`);
    await expectRowCount(page, 20);
    await expectPoll(() => page.getByTestId('project-count').innerText(), /^21 projects/, 'the project count');
    const pagination = page.getByTestId('pagination');
    await pagination.waitFor();
    await expectPoll(() => page.getByTestId('pagination-summary').innerText(), '1–20 of 21', 'the first page summary');
    const page1 = await projectNames(page);

    await page.getByTestId('next-page').click();
    await waitUntil(
      async () => (await page.getByTestId('pagination-summary').innerText()) === '21–21 of 21',
      'second page summary',
    );
    await expectRowCount(page, 1);
    const page2 = await projectNames(page);
    assert.equal(new Set([...page1, ...page2]).size, 21, 'the two pages together list every project once');

    // Filter: only the completed one; the pagination goes away.
    await page.getByTestId('filter-completed').click();
    await waitUntil(async () => {
      const names = await projectNames(page);
      return names.length === 1 && names[0] === first.name;
    }, 'only the completed project is listed');
    await expectPoll(() => pagination.count(), 0, 'the pagination goes away');
    await expectPoll(() => page.getByTestId('filter-completed').getAttribute('aria-pressed'), 'true', 'the filter shows as pressed');

    // A filter with no match shows the filtered empty state, which leads back to all.
    await page.getByTestId('filter-in_progress').click();
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    await expectPoll(() => empty.getAttribute('data-variant'), 'filtered', 'the filtered empty state');
    await page.getByTestId('show-all').click();
    await expectRowCount(page, 20);
  }),
);

test('projects: survive a server restart on the same data dir', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const dir = dataDir();
    const first = await start(dir);
    await page.goto(`${first.url}/`);
    await page.getByTestId('empty-state').waitFor();
    await createViaDialog(page, { name: 'Persistent Heart', description: 'Should outlive the server', aspect: '1:1' });

    const stopped = await first.stop();
    assert.equal(stopped.timedOut, false, 'the server stops within 10 s of SIGTERM');
    assert.equal(stopped.code, 0, `the server exits cleanly on SIGTERM (got ${JSON.stringify(stopped)})`);

    // Same address when it is free again, so this is a real reload of the same page.
    const { port } = new URL(first.url);
    let second;
    try {
      second = await start(dir, { addr: `127.0.0.1:${port}` });
    } catch (e) {
      t.diagnostic(`port ${port} not reusable (${e.message.split('\n')[0]}); using a new one`);
      second = await start(dir);
    }
    if (second.url === first.url) await page.reload();
    else await page.goto(`${second.url}/`);

    const row = rowNamed(page, 'Persistent Heart');
    await row.waitFor();
    await expectRowCount(page, 1);
    await expectPoll(() => row.getByTestId('aspect-badge').innerText(), '1:1', 'the aspect survives the restart');
    await expectPoll(() => row.getByTestId('project-description').innerText(), 'Should outlive the server', 'the description survives the restart');
  }),
);

test('projects: N opens the dialog with the name field focused, so typing goes in', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    await page.goto(`${server.url}/`);
    await page.getByTestId('empty-state').waitFor();
    await page.keyboard.press('n');
    await page.getByTestId('new-project-dialog').waitFor();
    // No click into the field: the keys go wherever the focus is.
    await page.keyboard.type('Pilot 1');
    await expectPoll(() => page.getByTestId('project-name-input').inputValue(), 'Pilot 1', 'the typed name is in the field');
    await expectPoll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'project-name-input', 'the name field has the focus');
    await page.keyboard.press('Enter');
    await page.getByTestId('new-project-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await projectNames(page)).includes('Pilot 1'), 'the typed name was created');
  }),
);

/** Runs the built-in animatic template on a project through the API, continuing past its review gate. */
async function finishAnimaticRun(server, projectId) {
  const started = await api(server, 'POST', '/api/v1/workflow-runs', { project_id: projectId, template_id: 'animatic' });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body.id;
  return waitUntil(
    async () => {
      const run = (await api(server, 'GET', `/api/v1/workflow-runs/${id}`)).body;
      if (run.status === 'waiting_review') {
        const gate = run.steps.find((s) => s.kind === 'review').node_run_id;
        await api(server, 'POST', `/api/v1/workflow/node-runs/${gate}/review/continue`, {});
      }
      if (run.status === 'failed' || run.status === 'cancelled') throw new Error(`run ended: ${JSON.stringify(run)}`);
      return run.status === 'completed' && run;
    },
    'the animatic run finishes',
    90_000,
  );
}

test('projects: status, updated time and a keyframe thumbnail follow runs and exports', { timeout: 240_000 }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    const samples = (await api(server, 'GET', '/api/v1/samples')).body;
    const opened = await api(server, 'POST', `/api/v1/samples/${samples[0].id}/open`);
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const project = opened.body;
    await page.goto(`${server.url}/`);
    const row = page.locator(`[data-testid="project-row"][data-project-id="${project.id}"]`);
    await row.waitFor();
    await expectPoll(() => row.getByTestId('status-badge').getAttribute('data-status'), 'draft', 'a new project is a draft');
    assert.equal(await row.getByTestId('project-thumb').locator('img').count(), 0, 'no keyframe yet: the gradient');

    await finishAnimaticRun(server, project.id);
    await page.reload();
    await row.waitFor();
    await expectPoll(() => row.getByTestId('status-badge').getAttribute('data-status'), 'in_progress', 'a run makes it in progress');
    const updatedAfterRun = await expectPoll(
      () => row.getByTestId('project-updated').getAttribute('datetime'),
      (d) => d > project.updated_at,
      `the updated time is after ${project.updated_at}`,
    );
    // The thumbnail is the newest keyframe's image, loaded through the API.
    const img = row.getByTestId('project-thumb').locator('img');
    await img.waitFor();
    await waitUntil(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the keyframe image decoded');
    const keyframe = await expectPoll(() => row.getByTestId('project-thumb').getAttribute('data-keyframe'), Boolean, 'the thumbnail names its keyframe');
    const asset = (await api(server, 'GET', `/api/v1/assets/${keyframe}`)).body;
    assert.equal(asset.type, 'keyframe_image');

    const exp = await api(server, 'POST', '/api/v1/export', { project_id: project.id, resolution: '480p', format: 'mp4', fps: 24 });
    assert.equal(exp.status, 202, JSON.stringify(exp.body));
    await waitUntil(
      async () => (await api(server, 'GET', `/api/v1/export/${exp.body.export_id}`)).body.status === 'completed',
      'the export finishes',
      120_000,
    );
    await page.reload();
    await row.waitFor();
    await expectPoll(() => row.getByTestId('status-badge').getAttribute('data-status'), 'completed', 'an export makes it completed');
    await expectPoll(() => text(row.getByTestId('status-badge')), 'Completed', 'the badge says Completed');
    await expectPoll(
      () => row.getByTestId('project-updated').getAttribute('datetime'),
      (d) => d >= updatedAfterRun,
      `the updated time is not before ${updatedAfterRun}`,
    );
  }),
);

test('projects: the UI switches to 中文 and remembers it', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, dataDir, start }) => {
    const server = await start(dataDir());
    const project = (await api(server, 'POST', '/api/v1/projects', { name: '午夜告白', description: '第一集' })).body;
    await page.goto(`${server.url}/`);
    await rows(page).first().waitFor();
    // Headless Chromium reports en-US: English first.
    await expectPoll(() => text(page.locator('h1')), 'Projects', 'the page title in English');
    await expectPoll(() => text(page.getByTestId('nav-projects')), 'Projects', 'the nav in English');
    await expectPoll(() => page.getByTestId('language-en').getAttribute('aria-pressed'), 'true', 'English is pressed');

    await page.getByTestId('language-zh-CN').click();
    await waitUntil(async () => (await text(page.locator('h1'))) === '项目', 'the page title in Chinese');
    await expectPoll(() => text(page.getByTestId('nav-projects')), '项目', 'the nav in Chinese');
    await expectPoll(() => text(page.getByTestId('nav-credits')), /积分$/, 'the credits entry in Chinese');
    await expectPoll(() => text(page.getByTestId('project-count')), '1 个项目', 'the count in Chinese');
    await expectPoll(() => text(page.getByTestId('filter-draft')), '草稿', 'the filter in Chinese');
    await expectPoll(() => text(page.getByTestId('new-project')), '新建项目N', 'the New project button in Chinese');
    await expectPoll(() => page.evaluate(() => document.documentElement.lang), 'zh-CN', 'the document language');
    const updated = page.getByTestId('project-updated');
    await expectPoll(() => text(updated), '刚刚', 'the updated time in Chinese');
    // The full date in the tooltip is formatted for zh-CN: "2026年2月8日 10:00".
    await expectPoll(() => updated.getAttribute('title'), /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/, 'the tooltip date in Chinese');

    await page.reload();
    await waitUntil(async () => (await text(page.locator('h1'))) === '项目', 'the choice is remembered');
    await expectPoll(() => page.getByTestId('language-zh-CN').getAttribute('aria-pressed'), 'true', '中文 is pressed');

    // The editor's Runs tab speaks Chinese too: its empty state and start button.
    await page.goto(`${server.url}/#/projects/${project.id}/runs`);
    await page.getByTestId('runs-empty').waitFor();
    await expectPoll(() => text(page.getByTestId('runs-empty').locator('h2')), '还没有运行', 'the runs empty state in Chinese');
    await expectPoll(() => text(page.getByTestId('run-start')), '运行动态分镜', 'the start button in Chinese');

    // The storyboard and the export dialog speak Chinese too: tabs, counts, shot labels, export options.
    const put = await api(server, 'PUT', `/api/v1/projects/${project.id}/versions/${project.current_version_id}/script`, {
      text: '场景1：天台 夜 外\n△风吹过天台。\n林晓：你终于来了。\n',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await page.goto(`${server.url}/#/projects/${project.id}/storyboard`);
    await page.getByTestId('storyboard').waitFor();
    await waitUntil(async () => (await page.getByTestId('shot-card').count()) === 2, 'both shots have a card');
    await expectPoll(() => text(page.getByTestId('tab-storyboard')), '分镜', 'the storyboard tab in Chinese');
    await expectPoll(() => text(page.getByTestId('tab-characters')), '角色', 'the characters tab in Chinese');
    await expectPoll(() => text(page.getByTestId('storyboard-summary')), /^1 场 · 2 个镜头 · /, 'the storyboard summary in Chinese');
    await expectPoll(() => text(page.getByTestId('storyboard-view-board')), '画面', 'the board view button in Chinese');
    await expectPoll(
      async () => (await page.getByTestId('shot-kind').allInnerTexts()).map((k) => k.trim()),
      ['动作', '对白'],
      'the shot kinds in Chinese',
    );
    await expectPoll(() => page.getByTestId('shot-card').first().getAttribute('aria-label'), /^镜头 1，动作：/, 'the card label in Chinese');
    await page.getByTestId('open-export').click();
    const exportDialog = page.getByTestId('export-dialog');
    await exportDialog.waitFor();
    await expectPoll(() => text(exportDialog.locator('h2')), '导出视频', 'the export title in Chinese');
    await expectPoll(() => text(page.getByTestId('export-include_subtitles-burn')), /^硬字幕/, 'the subtitles option in Chinese');
    await expectPoll(() => text(page.getByTestId('export-transition-crossfade')), /^叠化/, 'the transition option in Chinese');
    await expectPoll(() => text(page.getByTestId('export-start')), '开始导出', 'the start button in Chinese');
    // No completed run yet: the refusal is explained in Chinese, not with the server's English.
    await expectPoll(() => text(page.getByTestId('export-form-error')), /^这个版本还没有可导出的已完成运行/, 'the refusal in Chinese');
    await page.keyboard.press('Escape');
    await exportDialog.waitFor({ state: 'detached' });

    await page.goto(`${server.url}/`);
    await rows(page).first().waitFor();

    await page.getByTestId('language-en').click();
    await waitUntil(async () => (await text(page.locator('h1'))) === 'Projects', 'back to English');
    await expectPoll(() => updated.getAttribute('title'), /^[A-Z][a-z]{2} \d{1,2}, \d{4}/, 'the tooltip date in English');
  }),
);
