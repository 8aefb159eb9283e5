// Browser end-to-end test of workflow runs and the review queue (issue 4) against the real
// `storyloom serve`: open the Chinese sample (a 9:16 project), run the animatic template from the
// Runs tab, check the viewer shows whole frames (and 100% with Z), review every keyframe with the
// keyboard (approve all but one, reject one with a comment), see the rejected shot come back redrawn
// with the comment for a decision while the gate stays shut, approve it, continue, and see the run
// finish; then check on the server that only the rejected shot got a new keyframe.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/runs.test.mjs
// Same prerequisites as projects.test.mjs (server binary, ui/dist, playwright-core, Chromium).
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

const TEST_TIMEOUT_MS = 300_000;
/** Upper bounds of the waits on the workflow (36 keyframes, espeak voice, compose on 2 cores). */
const RUN_TO_REVIEW_MS = 150_000;
const RUN_TO_END_MS = 120_000;

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

/** shot id → keyframe asset id, as the server holds them. */
async function keyframes(server, projectId) {
  const res = await api(server, 'GET', `/api/v1/projects/${projectId}/storyboard`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return new Map(res.body.scenes.flatMap((s) => s.shots.map((x) => [x.id, x.keyframe_asset_id])));
}

async function reviewCounts(page) {
  const el = page.getByTestId('review-counts');
  return {
    approved: Number(await el.getAttribute('data-approved')),
    rejected: Number(await el.getAttribute('data-rejected')),
    undecided: Number(await el.getAttribute('data-undecided')),
  };
}

test('runs: animatic run, keyboard review (approve all, reject one), continue, run completes', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    await page.goto(`${server.url}/`);

    // ---- open the Chinese sample from the empty state ----
    const samples = (await api(server, 'GET', '/api/v1/samples')).body;
    const sample = samples.find((s) => s.language.startsWith('zh'));
    assert.ok(sample, `a Chinese sample exists: ${JSON.stringify(samples)}`);
    await page.getByTestId('empty-state').waitFor();
    await page.locator(`[data-testid="sample-open"][data-sample-id="${sample.id}"]`).click();
    const editor = page.getByTestId('editor');
    await editor.waitFor();
    const projectId = await expectPoll(() => editor.getAttribute('data-project-id'), Boolean, 'the editor names its project');
    const versionId = await expectPoll(() => editor.getAttribute('data-version-id'), Boolean, 'the editor names its version');

    // ---- the Runs tab: no run yet; start the animatic ----
    await page.getByTestId('tab-runs').click();
    await waitUntil(() => page.url().endsWith(`#/projects/${projectId}/runs`), 'the URL names the Runs tab');
    await page.getByTestId('runs-empty').waitFor();
    await expectPoll(() => page.getByTestId('run-template').inputValue(), 'animatic', 'the animatic is the default template');
    const startButton = page.getByTestId('run-start');
    await expectPoll(() => startButton.innerText(), /run animatic/i, 'the start button names the template');
    await startButton.click();

    const summary = page.getByTestId('run-summary');
    await summary.waitFor();
    const runId = await expectPoll(() => summary.getAttribute('data-run-id'), Boolean, 'the summary names its run');
    const started = (await api(server, 'GET', `/api/v1/projects/${projectId}/versions/${versionId}/workflow/run`)).body;
    assert.equal(started.id, runId, 'the run the page shows is the version’s latest run');
    assert.equal(started.template_id, 'animatic');
    await expectPoll(() => startButton.isDisabled(), true, 'no second run while one is going');

    // The DAG: one card per node, one line per node-level edge of the template.
    const template = (await api(server, 'GET', '/api/v1/workflows/templates/animatic')).body;
    const graph = template.current_version.graph;
    await waitUntil(async () => (await page.getByTestId('dag-node').count()) === graph.nodes.length, 'a card per template node');
    const nodeEdges = new Set(graph.edges.map((e) => `${e.from.split('.')[0]}>${e.to.split('.')[0]}`));
    await expectPoll(() => page.getByTestId('dag-edge').count(), nodeEdges.size, 'a line per node-level edge');
    // Dependency order: parse is left of plan, which is left of compose.
    const x = async (id) => (await page.locator(`[data-testid="dag-node"][data-node-id="${id}"]`).boundingBox()).x;
    await expectPoll(
      async () => [await x('parse'), await x('plan'), await x('compose')],
      ([parse, plan, compose]) => parse < plan && plan < compose,
      'columns follow the dependencies (x of parse < plan < compose)',
    );

    // ---- live progress until the run waits for the review ----
    await waitUntil(
      async () => (await page.getByTestId('run-status').getAttribute('data-status')) === 'waiting_review',
      'the run reaches the review (live updates)',
      RUN_TO_REVIEW_MS,
    );
    const review = page.getByTestId('review');
    await review.waitFor();
    await expectPoll(() => review.getAttribute('data-status'), 'waiting', 'the review is waiting');
    const nodeRunId = await expectPoll(() => review.getAttribute('data-node-run-id'), Boolean, 'the review names its node run');
    const queue = (await api(server, 'GET', `/api/v1/workflow/node-runs/${nodeRunId}/review/assets`)).body;
    const total = queue.items.length;
    assert.ok(total >= 3, `the review has frames: ${total}`);
    await waitUntil(async () => (await page.getByTestId('review-thumb').count()) === total, 'a thumbnail per frame');
    await expectPoll(() => reviewCounts(page), { approved: 0, rejected: 0, undecided: total }, 'every frame is undecided');
    // The run graph fits the panel: no node is cut off at the right edge.
    await expectPoll(
      () =>
        page.evaluate(() => {
          const panel = document.querySelector('.dag-scroll').getBoundingClientRect();
          const rights = [...document.querySelectorAll('[data-testid="dag-node"]')].map((n) => n.getBoundingClientRect().right);
          return { panelRight: panel.right, maxRight: Math.max(...rights) };
        }),
      (dagFit) => dagFit.maxRight <= dagFit.panelRight + 1,
      'every node of the graph is in view (maxRight <= panelRight + 1)',
    );
    const before = await keyframes(server, projectId);

    // The review route shows the same queue.
    await page.getByTestId('open-review').click();
    await waitUntil(() => page.url().endsWith(`#/projects/${projectId}/review`), 'the URL names the review');
    await review.waitFor();

    // `?` shows the shortcuts, Escape closes them; J/K move between frames.
    const frame = page.getByTestId('review-frame');
    await expectPoll(() => frame.getAttribute('data-item-key'), queue.items[0].item_key, 'the review opens on the first frame');
    await page.keyboard.press('?');
    await page.getByTestId('review-help').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('review-help').waitFor({ state: 'detached' });
    await page.keyboard.press('j');
    await waitUntil(async () => (await frame.getAttribute('data-item-key')) === queue.items[1].item_key, 'J shows the next frame');
    await page.keyboard.press('ArrowLeft');
    await waitUntil(async () => (await frame.getAttribute('data-item-key')) === queue.items[0].item_key, '← shows the previous frame');
    await expectPoll(() => page.getByTestId('review-description').innerText(), Boolean, 'the shot’s script is beside the frame');

    // ---- the viewer shows the whole 9:16 frame, as large as the viewport allows; Z shows 100% ----
    const image = page.getByTestId('review-image');
    await waitUntil(() => image.evaluate((img) => img.complete && img.naturalWidth > 0), 'the keyframe loaded');
    const readFit = () => image.evaluate((img) => {
      const box = img.parentElement.getBoundingClientRect();
      const el = img.getBoundingClientRect();
      const fit = getComputedStyle(img).objectFit;
      // The image's drawn size: `contain` scales the whole image into the element's box.
      const scale = fit === 'contain' ? Math.min(el.width / img.naturalWidth, el.height / img.naturalHeight) : el.width / img.naturalWidth;
      return {
        natural: [img.naturalWidth, img.naturalHeight],
        box: [box.width, box.height],
        el: [el.width, el.height],
        drawn: [img.naturalWidth * scale, img.naturalHeight * scale],
        bottom: box.bottom + scrollY,
        viewport: [innerWidth, innerHeight],
      };
    });
    // The layout settles after the image loads: the checks are retried until they all hold.
    await expectPoll(readFit, (fit) => {
      assert.ok(fit.natural[1] > fit.natural[0], `the sample is a 9:16 project: ${JSON.stringify(fit)}`);
      assert.ok(fit.el[0] <= fit.box[0] + 1 && fit.el[1] <= fit.box[1] + 1, `the image stays inside its box: ${JSON.stringify(fit)}`);
      assert.ok(fit.drawn[1] <= fit.box[1] + 1 && fit.drawn[0] <= fit.box[0] + 1, `the whole frame is drawn: ${JSON.stringify(fit)}`);
      assert.ok(Math.abs(fit.drawn[1] - fit.box[1]) <= 2, `a portrait frame fills the box's height: ${JSON.stringify(fit)}`);
      assert.ok(fit.bottom <= fit.viewport[1] && fit.box[1] >= 0.5 * fit.viewport[1], `the box fills the viewport's height below it: ${JSON.stringify(fit)}`);
      return true;
    }, 'the viewer shows the whole frame');
    await page.keyboard.press('z');
    await waitUntil(async () => (await frame.getAttribute('data-zoom')) === '100', 'Z zooms to 100%');
    await expectPoll(
      () => image.evaluate((img) => [img.getBoundingClientRect().width, img.naturalWidth]),
      ([shown, natural]) => Math.abs(shown - natural) <= 1,
      'at 100% one image pixel is one CSS pixel',
    );
    await page.keyboard.press('z');
    await waitUntil(async () => (await frame.getAttribute('data-zoom')) === 'fit', 'Z again shows the whole frame');

    // ---- decide every frame with the keyboard: reject the third, approve the rest ----
    const rejectIndex = 2;
    const rejectKey = queue.items[rejectIndex].item_key;
    const comment = '光线更暗一些，突出她的惊讶';
    for (let i = 0; i < total; i++) {
      const key = queue.items[i].item_key;
      await waitUntil(async () => (await frame.getAttribute('data-item-key')) === key, `frame ${i + 1} is shown`);
      if (i === rejectIndex) {
        await page.keyboard.press('r');
        const box = page.getByTestId('review-comment');
        await waitUntil(() => box.evaluate((el) => el === document.activeElement), 'R focuses the comment box');
        await page.keyboard.type(comment);
        await page.keyboard.press('Enter');
      } else {
        await page.keyboard.press('a');
      }
      const thumb = page.locator(`[data-testid="review-thumb"][data-item-key="${key}"]`);
      await waitUntil(
        async () => (await thumb.getAttribute('data-decision')) !== '' || (await thumb.getAttribute('data-redrawn')) === 'true',
        `decision ${i + 1} is shown`,
      );
    }
    // Approved frames are locked.
    await page.locator(`[data-testid="review-thumb"][data-item-key="${queue.items[0].item_key}"]`).click();
    await page.getByTestId('review-locked').waitFor();

    // ---- the reject loop: the shot comes back redrawn with the comment, undecided ----
    const rejectedThumb = page.locator(`[data-testid="review-thumb"][data-item-key="${rejectKey}"]`);
    await rejectedThumb.click();
    await waitUntil(async () => (await rejectedThumb.getAttribute('data-redrawn')) === 'true', 'the rejected shot comes back redrawn', 60_000);
    await expectPoll(() => rejectedThumb.getAttribute('data-decision'), '', 'the redraw waits for a decision');
    await waitUntil(async () => (await frame.getAttribute('data-asset-id')) !== before.get(rejectKey), 'the viewer shows the new frame');
    await expectPoll(() => page.getByTestId('review-redrawn-comment').innerText(), comment, 'the viewer says what the redraw answers');
    await expectPoll(() => reviewCounts(page), { approved: total - 1, rejected: 0, undecided: 1 }, 'the redraw is the one undecided frame');
    const redrawnItem = (await api(server, 'GET', `/api/v1/workflow/node-runs/${nodeRunId}/review/assets`)).body.items.find(
      (i) => i.item_key === rejectKey,
    );
    assert.equal(redrawnItem.redrawn_after.comment, comment);
    const redrawnAsset = (await api(server, 'GET', `/api/v1/assets/${redrawnItem.asset_id}`)).body;
    assert.equal(redrawnAsset.metadata?.feedback, comment, 'the rejection comment was the redraw’s feedback');

    // The gate is shut while the rejection has no approved replacement: Continue explains why.
    const cont = page.getByTestId('review-continue');
    await expectPoll(() => cont.getAttribute('data-mode'), 'blocked', 'Continue is blocked');
    await cont.click();
    const blocked = page.getByTestId('review-blocked');
    await blocked.waitFor();
    await expectPoll(
      () =>
        blocked.evaluate((dialog) => {
          const box = (dialog.querySelector('.modal') ?? dialog).getBoundingClientRect();
          return [...dialog.querySelectorAll('button')].every((b) => {
            const r = b.getBoundingClientRect();
            return r.left >= box.left - 1 && r.right <= box.right + 1;
          });
        }),
      true,
      'the dialog’s buttons stay inside it',
    );
    await expectPoll(() => blocked.innerText(), new RegExp(`Shot ${redrawnItem.shot_number} was rejected`), 'the dialog names the rejected shot');
    await page.getByTestId('review-blocked-review').click();
    await blocked.waitFor({ state: 'detached' });
    await waitUntil(async () => (await frame.getAttribute('data-item-key')) === rejectKey, '“Review them” shows the redrawn shot');
    await page.keyboard.press('a');
    await waitUntil(async () => (await rejectedThumb.getAttribute('data-decision')) === 'approve', 'the redraw is approved');
    await waitUntil(async () => {
      const q = (await api(server, 'GET', `/api/v1/workflow/node-runs/${nodeRunId}/review/assets`)).body;
      return q.approved === total && q.unresolved === 0 ? q : null;
    }, 'the server holds every decision');

    // ---- continue: every frame decided, so no confirmation ----
    await waitUntil(async () => (await cont.getAttribute('data-mode')) === 'ready', 'Continue is ready');
    await cont.click();
    await waitUntil(
      async () => (await page.getByTestId('run-status').getAttribute('data-status')) === 'completed',
      'the run completes after the review',
      RUN_TO_END_MS,
    );
    await waitUntil(async () => {
      const statuses = await page.getByTestId('dag-node').evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
      return statuses.length === graph.nodes.length && statuses.every((s) => s === 'completed');
    }, 'every node card shows completed');
    await expectPoll(() => page.getByTestId('run-progress').getAttribute('aria-valuenow'), '100', 'the run’s bar ends at 100%');

    // ---- the server: the run is completed, only the rejected shot has a new keyframe ----
    const finished = (await api(server, 'GET', `/api/v1/workflow-runs/${runId}`)).body;
    assert.equal(finished.status, 'completed');
    assert.ok(finished.steps.every((s) => s.status === 'completed'), JSON.stringify(finished.steps.map((s) => [s.node_id, s.status])));
    const afterKf = await keyframes(server, projectId);
    for (const item of queue.items) {
      const was = before.get(item.shot_id);
      const now = afterKf.get(item.shot_id);
      assert.ok(was, `shot ${item.shot_number} had a keyframe`);
      if (item.item_key === rejectKey) assert.notEqual(now, was, 'the rejected shot was redrawn');
      else assert.equal(now, was, `approved shot ${item.shot_number} kept its keyframe`);
    }
    assert.equal(afterKf.get(rejectKey), redrawnItem.asset_id, 'the approved redraw is the shot’s keyframe');
    // The finished review shows no frame of the video as rejected.
    const closed = (await api(server, 'GET', `/api/v1/workflow/node-runs/${nodeRunId}/review/assets`)).body;
    assert.equal(closed.status, 'completed');
    assert.equal(closed.rejected, 0);
    assert.equal(closed.approved, total);

    // ---- the Assets tab: keyframe thumbnails show, voice clips play, the trash label is honest ----
    await page.getByTestId('tab-assets').click();
    await page.getByTestId('asset-table').waitFor();
    await page.getByTestId('asset-type-filter').selectOption('keyframe_image');
    const thumbs = page.locator('[data-testid="asset-row"] img.asset-thumb');
    await waitUntil(async () => (await thumbs.count()) > 0, 'keyframe rows have thumbnails');
    await waitUntil(
      () => thumbs.first().evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 512),
      'a PNG keyframe’s thumbnail loads (a small image, not the full frame)',
    );
    await page.getByTestId('asset-type-filter').selectOption('audio');
    const audio = page.getByTestId('asset-audio').first();
    await audio.waitFor();
    const clip = await audio.evaluate(async (el) => {
      const res = await fetch(el.src);
      return { status: res.status, type: res.headers.get('content-type'), bytes: (await res.arrayBuffer()).byteLength };
    });
    assert.equal(clip.status, 200);
    assert.match(clip.type, /^audio\//);
    assert.ok(clip.bytes > 1000, `a voice clip plays from the row: ${JSON.stringify(clip)}`);
    // While the trash loads (slowly here), the live rows are not called "in the trash".
    await page.route((url) => url.pathname === '/api/v1/assets' && url.searchParams.get('status') === 'trashed', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByTestId('asset-view-trashed').click();
    // Every look until the empty trash shows (label and rows read together) must hold.
    const mislabelled = [];
    await waitUntil(async () => {
      const s = await page.evaluate(() => ({
        label: document.querySelector('[data-testid="asset-count"]')?.innerText ?? '',
        rows: document.querySelectorAll('[data-testid="asset-row"]').length,
        empty: Boolean(document.querySelector('[data-testid="assets-empty"]')),
      }));
      if (/trash/.test(s.label) && s.rows > 0) mislabelled.push(s);
      return s.empty;
    }, 'the empty trash shows');
    assert.deepEqual(mislabelled, [], 'live rows are never labelled as in the trash');
    await expectPoll(() => page.getByTestId('asset-count').innerText(), '0 assets in the trash', 'the trash count');
  }),
);
