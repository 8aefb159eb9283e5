// Browser end-to-end test of workspaces in accounts mode (`storyloom serve --auth accounts`): the
// owner creates a team workspace and invites a reviewer by link (shown once); a second user, in a
// fresh browser context, opens the link signed out, signs up, comes back to the invitation and
// accepts; they act in the workspace as reviewer, and the owner's team page lists them. Also an
// API key created and revoked on the way.
//   node --test tests/e2e/browser/team.test.mjs
// Needs what projects.test.mjs needs (server binary, ui/dist, playwright-core, Chromium).
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
  submitSignUp,
  waitUntil,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 120_000;
const PASSWORD = 'correct horse battery';

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function signUp(page, { username, email }) {
  await submitSignUp(page, { username, email, password: PASSWORD });
  await waitUntil(
    async () => (await page.getByTestId('signed-in-username').textContent().catch(() => null)) === username,
    `the sidebar shows ${username} signed in`,
  );
}

const text = async (locator) => ((await locator.textContent()) ?? '').trim();

test('team: create a workspace, invite a reviewer by link, accept in another browser, owner sees them', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = makeDataDir();
  const contexts = [];
  const pages = [];
  const pageErrors = [];
  let server;
  async function newPage() {
    const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    pages.push(page);
    return page;
  }
  try {
    server = await startServer(dir, { auth: 'accounts' });

    // The owner signs up and starts in the personal workspace.
    const owner = await newPage();
    await owner.goto(`${server.url}/#/sign-up`);
    await signUp(owner, { username: 'olga', email: 'olga@example.com' });
    await owner.getByTestId('workspace-switcher').waitFor();
    await expectPoll(() => text(owner.getByTestId('current-workspace-role')), 'owner', 'the owner of the personal workspace');

    // The personal workspace's team page explains it can't be shared.
    await owner.getByTestId('nav-team').click();
    await owner.getByTestId('personal-workspace-notice').waitFor();
    await expectPoll(() => text(owner.getByTestId('personal-workspace-notice')), /can’t be shared/, 'the personal workspace can’t be shared');

    // New workspace… from the switcher: it becomes the current one and opens its team page.
    await owner.getByTestId('workspace-switcher-button').click();
    await owner.getByTestId('workspace-menu').waitFor();
    await owner.getByTestId('new-workspace').click();
    await owner.getByTestId('new-workspace-dialog').waitFor();
    await owner.getByTestId('create-workspace').click();
    await expectPoll(() => text(owner.getByTestId('field-error-workspace_name')), 'Name is required', 'the workspace name is required');
    await owner.getByTestId('workspace_name-input').fill('Studio North');
    await owner.getByTestId('create-workspace').click();
    await owner.getByTestId('new-workspace-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await text(owner.getByTestId('current-workspace-name'))) === 'Studio North', 'the switcher shows the new workspace');
    await owner.getByTestId('member-list').waitFor();
    await expectPoll(() => text(owner.getByTestId('team-workspace-name')), 'Studio North', 'the team page is the new workspace’s');
    await expectPoll(() => owner.getByTestId('member-row').count(), 1, 'only the owner so far');

    // Requests now act in the team workspace: a project made here is not in the personal one.
    const wsId = await expectPoll(() => owner.getByTestId('workspace-switcher').getAttribute('data-workspace-id'), Boolean, 'the switcher names the workspace');
    const token = await owner.evaluate(() => JSON.parse(sessionStorage.getItem('storyloom.session')).access_token);
    const bearer = { Authorization: `Bearer ${token}` };
    const created = await api(server, 'POST', '/api/v1/projects', { name: 'Shared pilot', aspect_ratio: '16:9' }, { ...bearer, 'X-Workspace-Id': wsId });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.workspace_id, wsId);
    await owner.getByTestId('nav-projects').click();
    await waitUntil(async () => (await owner.content()).includes('Shared pilot'), 'the team workspace lists its project');
    // Switching to the personal workspace reloads the list without it, and back again.
    const pick = async (id) => {
      await owner.getByTestId('workspace-switcher-button').click();
      await owner.locator(`[data-testid="workspace-option"][data-workspace-id="${id}"]`).click();
    };
    const personalId = await owner.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('storyloom.workspace.'));
      return key.slice('storyloom.workspace.'.length);
    });
    await pick(personalId);
    await waitUntil(async () => (await text(owner.getByTestId('current-workspace-name'))) !== 'Studio North', 'the personal workspace is current');
    await owner.getByTestId('project-count').waitFor();
    // The team's list may show until the personal one has loaded: wait for the personal list.
    await expectPoll(async () => (await owner.content()).includes('Shared pilot'), false, 'the personal workspace does not list the team project');
    await pick(wsId);
    await waitUntil(async () => (await owner.content()).includes('Shared pilot'), 'back in the team workspace');

    // Invite a reviewer: the role defaults to reviewer, the link is shown once.
    await owner.getByTestId('nav-team').click();
    await owner.getByTestId('invite-form').waitFor();
    await expectPoll(() => owner.getByTestId('invite-role').inputValue(), 'reviewer', 'the role defaults to reviewer');
    await owner.getByTestId('create-invitation').click();
    const linkDialog = owner.getByTestId('invite-link-dialog');
    await linkDialog.waitFor();
    await expectPoll(() => text(owner.getByTestId('invite-link-warning')), /will not see it again/i, 'the shown-once warning');
    const link = await expectPoll(
      () => owner.getByTestId('invite-link').inputValue(),
      (l) => l.startsWith(`${server.url}/#/invite/`),
      'an invitation link on this server',
    );
    await owner.getByTestId('close-invite-link').click();
    await linkDialog.waitFor({ state: 'detached' });
    assert.ok(!(await owner.content()).includes(link.split('#/invite/')[1]), 'the token is gone from the page');
    await waitUntil(async () => (await owner.getByTestId('invitation-row').count()) === 1, 'one pending invitation');
    await expectPoll(() => owner.getByTestId('invitation-row').getAttribute('data-role'), 'reviewer', 'the pending invitation is for a reviewer');

    // A second invitation, revoked: its link then says so.
    await owner.getByTestId('invite-role').selectOption('viewer');
    await owner.getByTestId('create-invitation').click();
    await linkDialog.waitFor();
    const revokedLink = await expectPoll(
      () => owner.getByTestId('invite-link').inputValue(),
      (l) => l.startsWith(`${server.url}/#/invite/`) && l !== link,
      'a second invitation link',
    );
    await owner.getByTestId('close-invite-link').click();
    await waitUntil(async () => (await owner.getByTestId('invitation-row').count()) === 2, 'two pending invitations');
    await owner.locator('[data-testid="invitation-row"][data-role="viewer"]').getByTestId('revoke-invitation').click();
    await owner.getByTestId('team-confirm-dialog').waitFor();
    await owner.getByTestId('confirm-action').click();
    await owner.getByTestId('team-confirm-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await owner.getByTestId('invitation-row').count()) === 1, 'the revoked one is gone from the list');

    // The second user, in a fresh context, opens the link signed out: the preview, then sign up.
    const rita = await newPage();
    await rita.goto(revokedLink);
    await rita.getByTestId('invite-closed').waitFor();
    await expectPoll(() => text(rita.getByTestId('invite-closed')), /revoked/, 'the revoked link says so');
    await rita.goto(link);
    await rita.getByTestId('invite-page').waitFor();
    await rita.getByTestId('invite-signed-out').waitFor();
    await expectPoll(() => text(rita.getByTestId('invite-workspace-name')), 'Studio North', 'the preview names the workspace');
    await expectPoll(() => text(rita.getByTestId('invite-role')), 'reviewer', 'the preview names the role');
    await expectPoll(() => text(rita.getByTestId('invite-summary')), /olga/, 'the preview names who invites');
    await rita.getByTestId('invite-sign-up').click();
    await signUp(rita, { username: 'rita' });
    // Back on the invitation, signed in now: accept.
    await rita.getByTestId('accept-invitation').waitFor();
    await rita.getByTestId('accept-invitation').click();
    await waitUntil(async () => (await text(rita.getByTestId('current-workspace-name'))) === 'Studio North', 'rita acts in Studio North');
    await expectPoll(() => text(rita.getByTestId('current-workspace-role')), 'reviewer', 'rita is a reviewer there');
    await expectPoll(() => rita.url(), /#\/projects$/, 'accepting lands on the projects');
    await waitUntil(async () => (await rita.content()).includes('Shared pilot'), 'rita sees the shared project');
    // A reviewer isn't offered what the server would refuse her.
    assert.equal(await rita.getByTestId('new-project').count(), 0, 'no New project for a reviewer');
    await expectPoll(() => text(rita.getByTestId('read-only-note')), /reviewer in Studio North/, 'the read-only note');
    // She reads the script and cannot change it: the editor is read-only.
    const pilot = created.body;
    const pilotScript = `/api/v1/projects/${pilot.id}/versions/${pilot.current_version_id}/script`;
    const put = await api(server, 'PUT', pilotScript, { text: '场景1：天台 夜 外\n林雪：你来了。\n' }, { ...bearer, 'X-Workspace-Id': wsId });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await rita.goto(`${server.url}/#/projects/${pilot.id}`);
    const script = rita.getByTestId('script-editor');
    await waitUntil(() => editorShows(rita, '场景1：天台 夜 外\n林雪：你来了。\n'), 'rita sees the script');
    await expectPoll(() => script.getAttribute('contenteditable'), 'false', 'the editor is not editable');
    await expectPoll(() => script.getAttribute('aria-readonly'), 'true', 'the editor says it is read-only');
    await expectPoll(() => script.locator('.sx-line[data-kind="speech"]').count(), 1, 'highlighted all the same');
    await script.click();
    await rita.keyboard.type('x');
    await rita.keyboard.press('Enter');
    // Nothing may change: read once, after the keys.
    assert.equal(await editorLength(rita), '场景1：天台 夜 外\n林雪：你来了。\n'.length, 'typing changes nothing');
    assert.equal(await rita.getByTestId('save-status').getAttribute('data-state'), 'saved');

    // Her team page: reviewer, no invitations, no role changes; the link is used up.
    await rita.getByTestId('nav-team').click();
    await rita.getByTestId('member-list').waitFor();
    await expectPoll(() => text(rita.getByTestId('team-my-role')), 'reviewer', 'her team page says reviewer');
    assert.equal(await rita.getByTestId('invite-form').count(), 0);
    await expectPoll(() => rita.getByTestId('leave-workspace').count(), 1, 'she can leave');
    await expectPoll(
      async () => Promise.all((await rita.getByTestId('member-role-select').all()).map((s) => s.isDisabled())),
      (disabled) => disabled.every(Boolean),
      'no role select is enabled for her',
    );
    await rita.goto(link);
    await rita.getByTestId('invite-closed').waitFor();
    await expectPoll(() => text(rita.getByTestId('invite-closed')), /already been used/, 'the used link says so');

    // The owner's team page lists the reviewer; the invitation is no longer pending.
    await owner.reload();
    await owner.getByTestId('member-list').waitFor();
    await expectPoll(() => text(owner.getByTestId('current-workspace-name')), 'Studio North', 'the choice survives a reload');
    const ritaRow = owner.locator('[data-testid="member-row"][data-username="rita"]');
    await ritaRow.waitFor();
    await expectPoll(() => ritaRow.getAttribute('data-role'), 'reviewer', 'rita is listed as reviewer');
    await expectPoll(() => ritaRow.getByTestId('member-role-select').isDisabled(), false, 'the owner can change her role');
    await owner.getByTestId('no-invitations').waitFor();
    // The owner promotes her to editor.
    await ritaRow.getByTestId('member-role-select').selectOption('editor');
    await waitUntil(async () => (await ritaRow.getAttribute('data-role')) === 'editor', 'rita is now an editor');

    // Briefly, an API key: created (shown once), then revoked.
    await owner.getByTestId('nav-api-keys').click();
    await owner.getByTestId('new-api-key').click();
    await owner.getByTestId('name-input').fill('team ci');
    await owner.getByTestId('create-api-key').click();
    await owner.getByTestId('api-key-secret-dialog').waitFor();
    const secret = await expectPoll(() => owner.getByTestId('api-key-secret').inputValue(), Boolean, 'the secret is shown');
    assert.equal((await api(server, 'GET', '/api/v1/workspaces', undefined, { 'x-api-key': secret })).status, 200);
    await owner.getByTestId('close-secret').click();
    const keyRow = owner.getByTestId('api-key-row');
    await keyRow.getByTestId('revoke-api-key').click();
    await owner.getByTestId('confirm-revoke').click();
    await waitUntil(async () => (await keyRow.getAttribute('data-status')) === 'revoked', 'the key row says revoked');
    assert.equal((await api(server, 'GET', '/api/v1/workspaces', undefined, { 'x-api-key': secret })).status, 401);

    // Rita leaves (with confirmation): she is back in her personal workspace; the owner's list shrinks.
    await rita.getByTestId('nav-team').click();
    await rita.getByTestId('leave-workspace').click();
    await rita.getByTestId('team-confirm-dialog').waitFor();
    await rita.getByTestId('confirm-action').click();
    await waitUntil(async () => (await text(rita.getByTestId('current-workspace-name'))) === 'Personal', 'rita is back in her personal workspace');
    await expectPoll(() => text(rita.getByTestId('current-workspace-role')), 'owner', 'she owns her personal workspace');
    await rita.getByTestId('workspace-switcher-button').click();
    await expectPoll(() => rita.getByTestId('workspace-option').count(), 1, 'Studio North is gone from her list');
    await owner.getByTestId('nav-team').click();
    await waitUntil(async () => (await owner.getByTestId('member-row').count()) === 1, 'the owner is alone again');

    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    for (const [i, page] of pages.entries()) {
      const saved = await saveFailureArtifacts(`${t.name}-page${i + 1}`, { page, servers: server ? [server] : [], notes: pageErrors });
      t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await server?.stop();
    removeDir(dir);
  }
});
