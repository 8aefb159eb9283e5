// Browser end-to-end test of sign-in with an OpenID Connect provider (issue 20; docs/API-WORKSPACES.md,
// "Sign-in with a provider") against the real `storyloom serve` and headless Chromium. The provider
// is a local fake that speaks the protocol (discovery, an authorize endpoint that consents at once,
// a token endpoint checking the PKCE verifier and taking each code once, RS256 ID tokens and their
// JWKS). The person clicks "Continue with Company SSO" on the sign-in page, goes through the
// provider and back, and is signed in with no token left in the address bar; the account page
// lists the provider; a forged callback lands on the sign-in page with its alert.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/oauth.test.mjs
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import {
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

const CLIENT_ID = 'storyloom-e2e';
const CLIENT_SECRET = 'e2e-client-secret';

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** The fake provider on 127.0.0.1: its issuer URL, what it was asked, and `close()`. */
async function startProvider(person) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'e2e-1', alg: 'RS256', use: 'sig' };
  const codes = new Map();
  const used = new Set();
  const seen = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, issuer);
    seen.push(url.pathname);
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      // The person consents at once: back to the app with a code bound to this request.
      const q = url.searchParams;
      assert.equal(q.get('client_id'), CLIENT_ID);
      assert.equal(q.get('code_challenge_method'), 'S256');
      const code = b64url(randomBytes(16));
      codes.set(code, { nonce: q.get('nonce'), challenge: q.get('code_challenge'), redirectUri: q.get('redirect_uri') });
      res.writeHead(302, { location: `${q.get('redirect_uri')}?code=${code}&state=${encodeURIComponent(q.get('state'))}` });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const grant = codes.get(f.get('code'));
        const verifier = f.get('code_verifier') ?? '';
        if (!grant || used.has(f.get('code')) || f.get('client_secret') !== CLIENT_SECRET
          || f.get('redirect_uri') !== grant.redirectUri
          || b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
          return json(400, { error: 'invalid_grant' });
        }
        used.add(f.get('code'));
        const now = Math.floor(Date.now() / 1000);
        const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: jwk.kid }));
        const claims = b64url(JSON.stringify({ iss: issuer, aud: CLIENT_ID, iat: now, exp: now + 300, nonce: grant.nonce, ...person }));
        const signature = b64url(sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), privateKey));
        return json(200, { access_token: 'provider-at', token_type: 'Bearer', id_token: `${header}.${claims}.${signature}` });
      });
      return undefined;
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  return { issuer, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('oauth: Continue with the provider signs a new person in, the account lists it, a forged callback is refused', { timeout: 180_000 }, async (t) => {
  const dir = makeDataDir();
  const provider = await startProvider({
    sub: 'e2e-person-1', email: 'mei@example.com', email_verified: true, name: 'Mei Lin', preferred_username: 'meilin',
  });
  let server;
  const context = await browser.browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    server = await startServer(dir, {
      auth: 'accounts',
      env: {
        STORYLOOM_OAUTH_OIDC_ISSUER: provider.issuer,
        STORYLOOM_OAUTH_OIDC_CLIENT_ID: CLIENT_ID,
        STORYLOOM_OAUTH_OIDC_CLIENT_SECRET: CLIENT_SECRET,
        STORYLOOM_OAUTH_OIDC_NAME: 'Company SSO',
      },
    });
    await page.goto(`${server.url}/#/sign-in`);
    const button = page.getByTestId('oauth-provider-oidc');
    await expectPoll(() => button.innerText(), /Company SSO/, 'the sign-in page offers the configured provider');
    await shoot(page, 'oauth-sign-in');
    await button.click();

    // Through the provider and back: signed in as the new person, tokens gone from the address.
    await expectPoll(() => page.getByTestId('signed-in-username').textContent(), 'meilin', 'signed in as the provider’s person');
    await waitUntil(() => !page.url().includes('access_token') && !page.url().includes('oauth/done'), 'the tokens left the address bar');
    assert.ok(provider.seen.includes('/token'), `the code was exchanged: ${provider.seen}`);

    await page.goto(`${server.url}/#/account`);
    const identity = page.getByTestId('oauth-identity-oidc');
    await expectPoll(() => identity.innerText(), /mei@example\.com/, 'the account lists the provider with its address');
    await page.getByTestId('oauth-verified-oidc').waitFor();
    await shoot(page, 'oauth-account');

    // A callback this server never started (a forged or replayed one): the sign-in page says so.
    const fresh = await browser.browser.newContext();
    try {
      const other = await fresh.newPage();
      await other.goto(`${server.url}/api/v1/auth/oauth/oidc/callback?code=stolen&state=forged`);
      const alert = other.getByTestId('oauth-error');
      await expectPoll(() => alert.getAttribute('data-code'), 'state', 'the alert names what failed');
      assert.equal(await other.getByTestId('sign-in-form').count(), 1, 'and the form is still there');
      await shoot(other, 'oauth-error');
    } finally {
      await fresh.close();
    }
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    await provider.close();
    removeDir(dir);
  }
});
