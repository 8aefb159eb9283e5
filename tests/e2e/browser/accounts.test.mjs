// Browser end-to-end tests of accounts mode (`storyloom serve --auth accounts`): sign-up, the
// signed-in state, API keys with their copy-once secret, the admin's user list, suspension,
// sign-out and sign-in; and that local mode shows no sign-in UI at all.
//   node --test tests/e2e/browser/accounts.test.mjs
// Needs what projects.test.mjs needs (server binary, ui/dist, playwright-core, Chromium).
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
  submitSignUp,
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
 * One scenario with its own servers/data dirs; `newPage()` opens a page in a fresh browser
 * context (its own storage, so its own sign-in). Artifacts of every page on failure.
 */
async function scenario(t, fn) {
  const servers = [];
  const dirs = [];
  const contexts = [];
  const pages = [];
  const pageErrors = [];
  const ctx = {
    servers,
    async newPage() {
      const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => pageErrors.push(e.message));
      pages.push(page);
      return page;
    },
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
    for (const [i, page] of pages.entries()) {
      const saved = await saveFailureArtifacts(`${t.name}-page${i + 1}`, { page, servers, notes: pageErrors });
      t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    }
    for (const s of servers) {
      if (s.unexpectedExit) t.diagnostic(`server ${s.url} died on its own: ${JSON.stringify(s.unexpectedExit)}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    for (const s of servers) await s.stop();
    for (const d of dirs) removeDir(d);
  }
}

const PASSWORD = 'correct horse battery';

async function signUp(page, { username, email, password = PASSWORD }) {
  await submitSignUp(page, { username, email, password });
  await expectSignedInAs(page, username);
}

async function expectSignedInAs(page, username) {
  await waitUntil(
    async () => (await page.getByTestId('signed-in-username').textContent()) === username,
    `the sidebar shows ${username} signed in`,
  );
}

async function signIn(page, login, password = PASSWORD) {
  await page.getByTestId('sign-in-form').waitFor();
  await page.getByTestId('login-input').fill(login);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('sign-in-submit').click();
}

const withKey = (key) => ({ 'x-api-key': key });

test('accounts: sign up, API key copy-once and revoke, suspend a user, sign out and in', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ newPage, dataDir, start }) => {
    const server = await start(dataDir(), { auth: 'accounts' });
    const page = await newPage();
    await page.goto(`${server.url}/`);

    // Accounts mode and no session: the sign-in page, no app shell.
    await page.getByTestId('sign-in-form').waitFor();
    assert.equal(await page.getByTestId('nav-projects').count(), 0, 'no app shell before signing in');

    // Sign up: client-side check first (confirmation), then the first account, which is the admin.
    await page.getByTestId('go-sign-up').click();
    await page.getByTestId('sign-up-form').waitFor();
    await page.getByTestId('username-input').fill('admin1');
    await page.getByTestId('password-input').fill(PASSWORD);
    await page.getByTestId('confirm_password-input').fill(`${PASSWORD}x`);
    await page.getByTestId('sign-up-submit').click();
    await expectPoll(() => page.getByTestId('field-error-confirm_password').textContent(), /do not match/, 'the confirmation mismatch is reported');
    await signUp(page, { username: 'admin1', email: 'admin1@example.com' });
    await page.getByTestId('nav-admin-users').waitFor();
    await expectPoll(() => page.getByTestId('signed-in').textContent(), /admin/, 'the sidebar says admin');
    await page.getByTestId('project-count').waitFor();

    // API key: create it, the secret is shown once with a warning; it works as x-api-key.
    await page.getByTestId('nav-api-keys').click();
    await page.getByTestId('api-keys-page').waitFor();
    await page.getByTestId('no-api-keys').waitFor();
    await page.getByTestId('new-api-key').click();
    await page.getByTestId('new-api-key-dialog').waitFor();
    await page.getByTestId('create-api-key').click();
    await expectPoll(() => page.getByTestId('field-error-name').textContent(), 'Name is required', 'the key name is required');
    await page.getByTestId('name-input').fill('ci pipeline');
    await page.getByTestId('create-api-key').click();
    const secretDialog = page.getByTestId('api-key-secret-dialog');
    await secretDialog.waitFor();
    await expectPoll(() => page.getByTestId('secret-warning').textContent(), /will not see it again/i, 'the copy-once warning');
    await page.getByTestId('copy-api-key').waitFor();
    const secret = await expectPoll(() => page.getByTestId('api-key-secret').inputValue(), (s) => s.length >= 20, 'a real secret is shown');
    assert.equal((await api(server, 'GET', '/api/v1/projects', undefined, withKey(secret))).status, 200);
    assert.equal((await api(server, 'GET', '/api/v1/projects')).status, 401, 'and nothing works without it');

    await page.getByTestId('close-secret').click();
    await secretDialog.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once the dialog closes');
    const keyRow = page.getByTestId('api-key-row');
    await keyRow.waitFor();
    await expectPoll(() => keyRow.textContent(), /ci pipeline/, 'the row shows the key name');
    await expectPoll(() => keyRow.textContent(), /read, write/, 'the row shows the scopes');
    await expectPoll(() => keyRow.textContent(), (s) => s.includes(secret.slice(0, 6)), 'the row shows the key prefix');
    await expectPoll(() => keyRow.getAttribute('data-status'), 'active', 'the key is active');

    // Revoke (with confirmation): the same request is now refused.
    await keyRow.getByTestId('revoke-api-key').click();
    await page.getByTestId('revoke-dialog').waitFor();
    await page.getByTestId('confirm-revoke').click();
    await page.getByTestId('revoke-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await keyRow.getAttribute('data-status')) === 'revoked', 'the key row says revoked');
    assert.equal((await api(server, 'GET', '/api/v1/projects', undefined, withKey(secret))).status, 401);

    // A second user, in a fresh browser context (its own storage): not an admin.
    const page2 = await newPage();
    await page2.goto(`${server.url}/#/sign-up`);
    await signUp(page2, { username: 'writer2' });
    assert.equal(await page2.getByTestId('nav-admin-users').count(), 0, 'no admin entry for a plain user');
    await page2.getByTestId('project-count').waitFor();

    // The admin suspends writer2 (with confirmation).
    await page.getByTestId('nav-admin-users').click();
    await page.getByTestId('admin-users-page').waitFor();
    await waitUntil(async () => (await page.getByTestId('user-row').count()) === 2, 'two users listed');
    const row2 = page.locator('[data-testid="user-row"][data-username="writer2"]');
    await expectPoll(() => row2.getAttribute('data-status'), 'active', 'writer2 is active');
    await row2.getByTestId('user-status-select').selectOption('suspended');
    await page.getByTestId('user-status-dialog').waitFor();
    await page.getByTestId('confirm-status').click();
    await page.getByTestId('user-status-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await row2.getAttribute('data-status')) === 'suspended', 'writer2 shows as suspended');
    await page.getByTestId('user-filter-suspended').click();
    await waitUntil(async () => (await page.getByTestId('user-row').count()) === 1, 'the suspended filter lists writer2 only');

    // writer2's next action fails and lands on the sign-in page, saying why.
    await page2.getByTestId('nav-account').click();
    await page2.getByTestId('sign-in-form').waitFor();
    await expectPoll(() => page2.getByTestId('signed-out-notice').textContent(), /suspended/, 'the sign-in page says why');
    await expectPoll(() => page2.evaluate(() => sessionStorage.getItem('storyloom.session')), null, 'the session is forgotten');
    // And signing in again is refused while suspended.
    await signIn(page2, 'writer2');
    await waitUntil(
      async () => /suspended/.test((await page2.getByTestId('field-error-password').textContent()) ?? ''),
      'sign-in says the account is suspended',
    );

    // The admin signs out, then back in (a wrong password first, shown next to the field).
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-form').waitFor();
    await expectPoll(() => page.getByTestId('signed-in').count(), 0, 'no signed-in state after signing out');
    await signIn(page, 'admin1', 'not the password');
    await waitUntil(
      async () => /wrong username or password/.test((await page.getByTestId('field-error-password').textContent()) ?? ''),
      'wrong password is reported next to the password field',
    );
    await signIn(page, 'admin1@example.com');
    await expectSignedInAs(page, 'admin1');
    await page.getByTestId('project-count').waitFor();
    await expectPoll(() => new URL(page.url()).hash, '#/projects', 'signing in lands on the projects');

    // A reload keeps the session (sessionStorage) and the server still takes it.
    await page.reload();
    await expectSignedInAs(page, 'admin1');

    // Account page: edit the profile, change the password (wrong current one first), then the
    // new password signs in.
    await page.getByTestId('nav-account').click();
    await page.getByTestId('account-page').waitFor();
    await waitUntil(async () => (await page.getByTestId('email-input').inputValue()) === 'admin1@example.com', 'profile loaded');
    await page.getByTestId('display_name-input').fill('The Admin');
    await page.getByTestId('save-profile').click();
    await waitUntil(async () => (await api(server, 'GET', '/api/v1/admin/users?limit=10', undefined, {
      authorization: `Bearer ${JSON.parse(await page.evaluate(() => sessionStorage.getItem('storyloom.session'))).access_token}`,
    })).body.items.some((u) => u.display_name === 'The Admin'), 'the display name is saved on the server');
    const NEW_PASSWORD = 'staple battery horse';
    await page.getByTestId('current_password-input').fill('not the password');
    await page.getByTestId('new_password-input').fill(NEW_PASSWORD);
    await page.getByTestId('confirm_password-input').fill(NEW_PASSWORD);
    await page.getByTestId('change-password').click();
    await page.getByTestId('field-error-current_password').waitFor();
    await page.getByTestId('current_password-input').fill(PASSWORD);
    await page.getByTestId('change-password').click();
    await waitUntil(async () => (await page.getByTestId('current_password-input').inputValue()) === '', 'the password form is cleared');
    await expectPoll(() => page.getByTestId('field-error-current_password').count(), 0, 'the current-password error is gone');
    await page.getByTestId('sign-out').click();
    await signIn(page, 'admin1', NEW_PASSWORD);
    await expectSignedInAs(page, 'admin1');
  }),
);

test('accounts: the admin makes someone admin and deletes an account; a person deletes their own', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ newPage, dataDir, start }) => {
    const server = await start(dataDir(), { auth: 'accounts' });
    const admin = await newPage();
    await admin.goto(`${server.url}/#/sign-up`);
    await signUp(admin, { username: 'boss', email: 'boss@example.com' });
    const dora = await newPage();
    await dora.goto(`${server.url}/#/sign-up`);
    await signUp(dora, { username: 'dora', email: 'dora@example.com' });
    const eli = await newPage();
    await eli.goto(`${server.url}/#/sign-up`);
    await signUp(eli, { username: 'eli' });

    // The admin's list: no actions on their own row; dora becomes an admin.
    await admin.getByTestId('nav-admin-users').click();
    await admin.getByTestId('admin-users-page').waitFor();
    await waitUntil(async () => (await admin.getByTestId('user-row').count()) === 3, 'three people listed');
    await expectPoll(() => admin.getByTestId('user-delete-boss').count(), 0, 'no delete on the admin\'s own row');
    await admin.getByTestId('user-role-dora').click();
    await expectPoll(() => admin.getByTestId('user-role-dora').textContent(), /regular user/i, 'dora is an admin now');
    await shoot(admin, 'admin-users-with-actions');

    // The admin deletes eli: the dialog says what happens; the row goes; eli's session stops.
    await admin.getByTestId('user-delete-eli').click();
    await admin.getByTestId('delete-account-dialog').waitFor();
    await expectPoll(() => admin.getByTestId('delete-account-dialog').textContent(), /eli/, 'the dialog names eli');
    await shoot(admin, 'admin-delete-dialog');
    await admin.getByTestId('confirm-delete').click();
    await admin.getByTestId('delete-account-dialog').waitFor({ state: 'detached' });
    await waitUntil(async () => (await admin.getByTestId('user-row').count()) === 2, 'eli is gone from the list');
    await eli.getByTestId('nav-account').click();
    await eli.getByTestId('sign-in-form').waitFor();
    await signIn(eli, 'eli');
    await eli.getByTestId('field-error-password').waitFor();

    // dora deletes her own account from the Account page, after typing her name.
    await dora.reload();
    await dora.getByTestId('nav-account').click();
    await dora.getByTestId('account-page').waitFor();
    await dora.getByTestId('delete-account').click();
    await dora.getByTestId('delete-account-dialog').waitFor();
    await expectPoll(() => dora.getByTestId('confirm-delete').isDisabled(), true, 'disabled until her name is typed');
    await dora.getByTestId('confirm-username').fill('dor');
    await expectPoll(() => dora.getByTestId('confirm-delete').isDisabled(), true, 'a partial name is not enough');
    await dora.getByTestId('confirm-username').fill('dora');
    await shoot(dora, 'delete-own-account-dialog');
    await dora.getByTestId('confirm-delete').click();
    await dora.getByTestId('sign-in-form').waitFor();
    await expectPoll(() => dora.evaluate(() => sessionStorage.getItem('storyloom.session')), null, 'her session is forgotten');

    // The last admin cannot delete themself: the reason is in the dialog and nothing changes.
    await admin.getByTestId('nav-account').click();
    await admin.getByTestId('account-page').waitFor();
    await admin.getByTestId('delete-account').click();
    await admin.getByTestId('confirm-username').fill('boss');
    await admin.getByTestId('confirm-delete').click();
    await expectPoll(() => admin.getByTestId('delete-error').textContent(), /last admin/, 'the 409 says why');
    await shoot(admin, 'last-admin-refused');
    await admin.getByTestId('cancel-delete').click();
    await expectSignedInAs(admin, 'boss');
    const token = JSON.parse(await admin.evaluate(() => sessionStorage.getItem('storyloom.session'))).access_token;
    const list = await api(server, 'GET', '/api/v1/admin/users?limit=10', undefined, { authorization: `Bearer ${token}` });
    assert.deepEqual(list.body.items.map((u) => u.username), ['boss']);
  }),
);

test('local mode: no sign-in page and no signed-in state', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ newPage, dataDir, start }) => {
    const server = await start(dataDir());
    const page = await newPage();
    await page.goto(`${server.url}/#/sign-in`);
    await page.getByTestId('project-count').waitFor();
    await waitUntil(
      async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'ok',
      'sidebar shows the server as connected',
    );
    assert.equal(await page.getByTestId('sign-in-form').count(), 0);
    assert.equal(await page.getByTestId('signed-in').count(), 0);
    assert.equal(await page.getByTestId('nav-api-keys').count(), 0);
  }),
);
