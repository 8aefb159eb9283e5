// Browser end-to-end test of share links (issue 20; docs/API-SHARES.md) against the real
// `storyloom serve`, ffmpeg and headless Chromium: a link made in the editor's export dialog is
// opened by a visitor who is not signed in; the video plays and seeks (the server answers the
// player's range requests with 206), the storyboard's pictures load, the preview tags are there;
// the owner sees the view and revokes the link, which then gives its 410 page. A password link
// refuses a wrong password and limits guesses; an expired link gives its page.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/share.test.mjs
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
  shoot,
  startServer,
  waitUntil,
} from './harness.mjs';

const SCRIPT = '第1集\n场景1：公园 日 外\n△ 林晓坐在长椅上看书。\n林晓：今天的风真舒服。\n王磊：我给你带了咖啡。\n'
  + '场景2：咖啡馆 夜 内\n△ 两人面对面坐着，窗外下着雨。\n林晓（微笑）：谢谢你一直陪着我。\n';

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
  const context = await browser.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    server = await startServer(dir);
    await fn({ page, server, context });
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
}

/** A project with the short script, a finished animatic run and a completed 480p export. */
async function exportedProject(server) {
  const created = await api(server, 'POST', '/api/v1/projects', { name: '雨中的约定', aspect_ratio: '9:16' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const project = created.body;
  const saved = await api(server, 'PUT', `/api/v1/projects/${project.id}/versions/${project.current_version_id}/script`, { text: SCRIPT });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const started = await api(server, 'POST', '/api/v1/workflow-runs', { project_id: project.id, template_id: 'animatic' });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  await waitUntil(
    async () => {
      const run = (await api(server, 'GET', `/api/v1/workflow-runs/${started.body.id}`)).body;
      if (run.status === 'waiting_review') {
        const gate = run.steps.find((s) => s.kind === 'review').node_run_id;
        await api(server, 'POST', `/api/v1/workflow/node-runs/${gate}/review/continue`, {});
      }
      if (run.status === 'failed' || run.status === 'cancelled') throw new Error(`run ended: ${JSON.stringify(run)}`);
      return run.status === 'completed';
    },
    'the animatic run finishes',
    120_000,
  );
  const exp = await api(server, 'POST', '/api/v1/export', { project_id: project.id, resolution: '480p', format: 'mp4', fps: 24 });
  assert.equal(exp.status, 202, JSON.stringify(exp.body));
  const done = await waitUntil(
    async () => {
      const e = (await api(server, 'GET', `/api/v1/export/${exp.body.export_id}`)).body;
      return e.status === 'completed' && e;
    },
    'the export finishes',
    120_000,
  );
  const board = (await api(server, 'GET', `/api/v1/projects/${project.id}/storyboard`)).body;
  const shots = board.scenes.reduce((n, s) => n + s.shots.length, 0);
  return { project, exportDone: done, shots };
}

/** Opens a share page in a fresh context (a visitor: no session, no cookies of the owner's). */
async function visit(url) {
  const context = await browser.browser.newContext({ viewport: { width: 420, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const videoAnswers = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/video')) {
      videoAnswers.push({ status: r.status(), range: r.request().headers().range ?? null, contentRange: r.headers()['content-range'] ?? null });
    }
  });
  const response = await page.goto(url);
  return { context, page, response, videoAnswers };
}

/** The visitor's checks of a live link: video plays and seeks in ranges, pictures, preview tags. */
async function watchPlays({ page, videoAnswers }, shots) {
  await page.locator('h1', { hasText: '雨中的约定' }).waitFor();
  const og = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('meta[property^="og:"], meta[name^="twitter:"]')].map((m) => [m.getAttribute('property') || m.getAttribute('name'), m.content])));
  assert.equal(og['og:title'], '雨中的约定');
  assert.equal(og['og:type'], 'video.other');
  // An unlocked password page's media URLs carry its token (`?k=`).
  assert.match(og['og:image'], /^http:\/\/127\.0\.0\.1:\d+\/share\/[A-Za-z0-9_-]{22}\/poster\.jpg(\?k=\d+\.[0-9a-f]{64})?$/);
  assert.match(og['og:video'], /\/video(\?k=\d+\.[0-9a-f]{64})?$/);
  assert.equal(og['twitter:card'], 'summary_large_image');
  assert.equal(await page.locator('script').count(), 0, 'no script on the page');

  const video = page.locator('video');
  await video.waitFor();
  await waitUntil(() => video.evaluate((v) => v.readyState >= 1 && v.duration > 0), 'the video loaded its metadata', 30_000);
  const duration = await video.evaluate((v) => v.duration);
  await video.evaluate((v) => { v.muted = true; return v.play(); });
  await waitUntil(() => video.evaluate((v) => v.currentTime > 0.3), 'the video plays', 30_000);
  await video.evaluate((v) => { v.pause(); });
  const target = Math.max(0, duration - 1.5);
  await video.evaluate((v, t) => new Promise((resolve) => {
    v.addEventListener('seeked', resolve, { once: true });
    v.currentTime = t;
  }), target);
  await expectPoll(() => video.evaluate((v) => Math.abs(v.currentTime - v.duration + 1.5) < 0.5 && v.readyState >= 2), true, { message: 'the seek landed with a frame', timeout: 30_000 });
  // The player asked for ranges and the server answered them.
  await expectPoll(() => videoAnswers.filter((a) => a.status === 206 && a.range && a.contentRange).length, (n) => n >= 1, 'range requests answered 206');
  assert.ok(videoAnswers.every((a) => a.status === 200 || a.status === 206), JSON.stringify(videoAnswers));

  // The storyboard: every shot with its picture decoded.
  const pictures = page.locator('li.shot img');
  await expectPoll(() => pictures.count(), shots, 'a picture per shot');
  await pictures.last().scrollIntoViewIfNeeded();
  await waitUntil(
    () => pictures.evaluateAll((imgs) => imgs.every((i) => i.complete && i.naturalWidth > 0)),
    'every storyboard picture decoded',
    30_000,
  );
  await expectPoll(() => page.locator('li.shot').filter({ hasText: '今天的风真舒服' }).count(), 1, 'the dialogue is shown');
}

test('share: a link made in the editor plays for a visitor, counts the view, and dies when revoked', { timeout: 420_000 }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { project, exportDone, shots } = await exportedProject(server);

    // ---- the owner: Share on the finished export, storyboard included, no password ----
    await page.goto(`${server.url}/#/projects/${project.id}`);
    await page.getByTestId('editor').waitFor();
    await page.getByTestId('open-export').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    const row = page.locator(`[data-testid="export-history-row"][data-export-id="${exportDone.id}"]`);
    await row.getByTestId('export-history-share').click();
    const shareDialog = page.getByTestId('share-dialog');
    await shareDialog.waitFor();
    await expectPoll(() => page.getByTestId('share-include-storyboard').isChecked(), true, 'the storyboard is included by default');
    await page.getByTestId('share-create').click();
    const link = await expectPoll(() => page.getByTestId('share-url').inputValue(), /^http:\/\/127\.0\.0\.1:\d+\/share\/[A-Za-z0-9_-]{22}$/, 'the new link, absolute');
    await shoot(page, 'share-dialog');
    // Escape closes the share dialog only; the export dialog under it stays.
    await page.keyboard.press('Escape');
    await shareDialog.waitFor({ state: 'detached' });
    await dialog.waitFor();
    const id = link.split('/').pop();
    const listed = page.locator(`[data-testid="shared-link-row"][data-share-id="${id}"]`);
    await expectPoll(() => listed.getAttribute('data-status'), 'active', 'the link is listed, active');

    // ---- a visitor, not signed in: the video plays and seeks in ranges, the storyboard shows ----
    const visitor = await visit(link);
    try {
      assert.equal(visitor.response.status(), 200);
      await watchPlays(visitor, shots);
      await shoot(visitor.page, 'share-watch');
    } finally {
      await visitor.context.close();
    }

    // ---- the owner sees the view (the list reads afresh when the dialog opens), and revokes ----
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('open-export').click();
    await dialog.waitFor();
    await expectPoll(() => listed.getByTestId('shared-link-views').getAttribute('data-views'), '1', 'one view counted');
    await listed.getByTestId('shared-link-revoke').click();
    await page.getByTestId('revoke-share-dialog').waitFor();
    await page.getByTestId('confirm-revoke-share').click();
    await expectPoll(() => listed.getAttribute('data-status'), 'revoked', 'the row says revoked');
    const stored = (await api(server, 'GET', `/api/v1/share/${id}`)).body;
    assert.equal(stored.status, 'revoked', JSON.stringify(stored));

    const late = await visit(link);
    try {
      assert.equal(late.response.status(), 410);
      await late.page.getByText('turned off').waitFor();
      assert.equal(await late.page.locator('video').count(), 0);
      assert.equal(await late.page.getByText('雨中的约定').count(), 0, 'nothing of the project on a dead link');
    } finally {
      await late.context.close();
    }
  }),
);

test('share: a password link refuses a wrong password, limits guesses, and an expired link says so', { timeout: 420_000 }, (t) =>
  scenario(t, async ({ server }) => {
    const { project, shots } = await exportedProject(server);
    const made = await api(server, 'POST', '/api/v1/share', { project_id: project.id, include_storyboard: true, password: 'letmein!' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const link = `${server.url}${made.body.url}`;

    const visitor = await visit(link);
    try {
      const { page } = visitor;
      await page.getByPlaceholder('Password').waitFor();
      assert.equal(await page.locator('video').count(), 0, 'locked: no video');
      assert.equal(await page.getByText('雨中的约定').count(), 0, 'locked: not even the title');
      await page.getByPlaceholder('Password').fill('wrong guess');
      const wrong = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Watch' }).click()]).then(([r]) => r);
      assert.equal(wrong.status(), 401);
      await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
      await page.getByPlaceholder('Password').fill('letmein!');
      await Promise.all([page.waitForURL(/\?k=/), page.getByRole('button', { name: 'Watch' }).click()]);
      assert.deepEqual(await page.context().cookies(), [], 'no cookie is set');
      await watchPlays(visitor, shots);

      // Five guesses a minute per link and address: two spent, three more wrong, then 429.
      for (let i = 0; i < 3; i += 1) {
        const r = await page.request.post(link, { form: { password: 'still wrong' }, maxRedirects: 0 });
        assert.equal(r.status(), 401);
      }
      await page.goto(link);
      await page.getByPlaceholder('Password').fill('letmein!');
      const limited = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Watch' }).click()]).then(([r]) => r);
      assert.equal(limited.status(), 429);
      assert.ok(Number(limited.headers()['retry-after']) >= 1);
      await page.getByRole('alert').filter({ hasText: 'Too many tries' }).waitFor();
    } finally {
      await visitor.context.close();
    }

    // A link that expires in two seconds: its page says it expired once they have passed.
    const soon = new Date(Date.now() + 2_000).toISOString();
    const brief = await api(server, 'POST', '/api/v1/share', { project_id: project.id, expires_at: soon });
    assert.equal(brief.status, 201, JSON.stringify(brief.body));
    await new Promise((r) => setTimeout(r, 2_500));
    const expired = await visit(`${server.url}${brief.body.url}`);
    try {
      assert.equal(expired.response.status(), 410);
      await expired.page.getByText('This link has expired').waitFor();
    } finally {
      await expired.context.close();
    }
  }),
);
