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
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  startServer,
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
  await page.getByTestId('sign-up-form').waitFor();
  await page.getByTestId('username-input').fill(username);
  if (email) await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(PASSWORD);
  await page.getByTestId('confirm_password-input').fill(PASSWORD);
  await page.getByTestId('sign-up-submit').click();
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
    assert.equal(await text(owner.getByTestId('current-workspace-role')), 'owner');

    // The personal workspace's team page explains it can't be shared.
    await owner.getByTestId('nav-team').click();
    await owner.getByTestId('personal-workspace-notice').waitFor();
    assert.match(await text(owner.getByTestId('personal-workspace-notice')), /can’t be shared/);

    // New workspace… from the switcher: it becomes the current one and opens its team page.
    await owner.getByTestId('workspace-switcher-button').click();
    await owner.getByTestId('workspace-menu').waitFor();
    await owner.getByTestId('new-workspace').click();
    await owner.getByTestId('new-workspace-dialog').waitFor();
    await owner.getByTestId('create-workspace').click();
    assert.equal(await text(owner.getByTestId('field-error-workspace_name')), 'Name is required');
    await owner.getByTestId('workspace_name-input').fill('Studio North');
    await owner.getByTestId('create-workspace').click();
    await owner.getByTestId('new-workspace-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await text(owner.getByTestId('current-workspace-name'))) === 'Studio North', 'the switcher shows the new workspace');
    await owner.getByTestId('member-list').waitFor();
    assert.equal(await text(owner.getByTestId('team-workspace-name')), 'Studio North');
    assert.equal(await owner.getByTestId('member-row').count(), 1, 'only the owner so far');

    // Requests now act in the team workspace: a project made here is not in the personal one.
    const wsId = await owner.getByTestId('workspace-switcher').getAttribute('data-workspace-id');
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
    assert.ok(!(await owner.content()).includes('Shared pilot'), 'the personal workspace does not list the team project');
    await pick(wsId);
    await waitUntil(async () => (await owner.content()).includes('Shared pilot'), 'back in the team workspace');

    // Invite a reviewer: the role defaults to reviewer, the link is shown once.
    await owner.getByTestId('nav-team').click();
    await owner.getByTestId('invite-form').waitFor();
    assert.equal(await owner.getByTestId('invite-role').inputValue(), 'reviewer');
    await owner.getByTestId('create-invitation').click();
    const linkDialog = owner.getByTestId('invite-link-dialog');
    await linkDialog.waitFor();
    assert.match(await text(owner.getByTestId('invite-link-warning')), /will not see it again/i);
    const link = await owner.getByTestId('invite-link').inputValue();
    assert.ok(link.startsWith(`${server.url}/#/invite/`), `an invitation link on this server (got ${link})`);
    await owner.getByTestId('close-invite-link').click();
    await linkDialog.waitFor({ state: 'detached' });
    assert.ok(!(await owner.content()).includes(link.split('#/invite/')[1]), 'the token is gone from the page');
    await waitUntil(async () => (await owner.getByTestId('invitation-row').count()) === 1, 'one pending invitation');
    assert.equal(await owner.getByTestId('invitation-row').getAttribute('data-role'), 'reviewer');

    // A second invitation, revoked: its link then says so.
    await owner.getByTestId('invite-role').selectOption('viewer');
    await owner.getByTestId('create-invitation').click();
    await linkDialog.waitFor();
    const revokedLink = await owner.getByTestId('invite-link').inputValue();
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
    assert.match(await text(rita.getByTestId('invite-closed')), /revoked/);
    await rita.goto(link);
    await rita.getByTestId('invite-page').waitFor();
    await rita.getByTestId('invite-signed-out').waitFor();
    assert.equal(await text(rita.getByTestId('invite-workspace-name')), 'Studio North');
    assert.equal(await text(rita.getByTestId('invite-role')), 'reviewer');
    assert.match(await text(rita.getByTestId('invite-summary')), /olga/);
    await rita.getByTestId('invite-sign-up').click();
    await signUp(rita, { username: 'rita' });
    // Back on the invitation, signed in now: accept.
    await rita.getByTestId('accept-invitation').waitFor();
    await rita.getByTestId('accept-invitation').click();
    await waitUntil(async () => (await text(rita.getByTestId('current-workspace-name'))) === 'Studio North', 'rita acts in Studio North');
    assert.equal(await text(rita.getByTestId('current-workspace-role')), 'reviewer');
    assert.match(rita.url(), /#\/projects$/);
    await waitUntil(async () => (await rita.content()).includes('Shared pilot'), 'rita sees the shared project');
    // A reviewer isn't offered what the server would refuse her.
    assert.equal(await rita.getByTestId('new-project').count(), 0, 'no New project for a reviewer');
    assert.match(await text(rita.getByTestId('read-only-note')), /reviewer in Studio North/);
    // She reads the script and cannot change it: the editor is read-only.
    const pilot = created.body;
    const pilotScript = `/api/v1/projects/${pilot.id}/versions/${pilot.current_version_id}/script`;
    const put = await api(server, 'PUT', pilotScript, { text: '场景1：天台 夜 外\n林雪：你来了。\n' }, { ...bearer, 'X-Workspace-Id': wsId });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await rita.goto(`${server.url}/#/projects/${pilot.id}`);
    const script = rita.getByTestId('script-editor');
    await waitUntil(() => editorShows(rita, '场景1：天台 夜 外\n林雪：你来了。\n'), 'rita sees the script');
    assert.equal(await script.getAttribute('contenteditable'), 'false');
    assert.equal(await script.getAttribute('aria-readonly'), 'true');
    assert.equal(await script.locator('.sx-line[data-kind="speech"]').count(), 1, 'highlighted all the same');
    await script.click();
    await rita.keyboard.type('x');
    await rita.keyboard.press('Enter');
    assert.equal(await editorLength(rita), '场景1：天台 夜 外\n林雪：你来了。\n'.length, 'typing changes nothing');
    assert.equal(await rita.getByTestId('save-status').getAttribute('data-state'), 'saved');

    // Her team page: reviewer, no invitations, no role changes; the link is used up.
    await rita.getByTestId('nav-team').click();
    await rita.getByTestId('member-list').waitFor();
    assert.equal(await text(rita.getByTestId('team-my-role')), 'reviewer');
    assert.equal(await rita.getByTestId('invite-form').count(), 0);
    assert.equal(await rita.getByTestId('leave-workspace').count(), 1);
    for (const select of await rita.getByTestId('member-role-select').all()) assert.ok(await select.isDisabled());
    await rita.goto(link);
    await rita.getByTestId('invite-closed').waitFor();
    assert.match(await text(rita.getByTestId('invite-closed')), /already been used/);

    // The owner's team page lists the reviewer; the invitation is no longer pending.
    await owner.reload();
    await owner.getByTestId('member-list').waitFor();
    assert.equal(await text(owner.getByTestId('current-workspace-name')), 'Studio North', 'the choice survives a reload');
    const ritaRow = owner.locator('[data-testid="member-row"][data-username="rita"]');
    await ritaRow.waitFor();
    assert.equal(await ritaRow.getAttribute('data-role'), 'reviewer');
    assert.equal(await ritaRow.getByTestId('member-role-select').isDisabled(), false, 'the owner can change her role');
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
    const secret = await owner.getByTestId('api-key-secret').inputValue();
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
    assert.equal(await text(rita.getByTestId('current-workspace-role')), 'owner');
    await rita.getByTestId('workspace-switcher-button').click();
    assert.equal(await rita.getByTestId('workspace-option').count(), 1, 'Studio North is gone from her list');
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
