// Helpers for the browser end-to-end tests: the real `storyloom serve` process, headless
// Chromium through playwright-core (installed in ui/node_modules), polling and failure artifacts.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect, isDeepStrictEqual } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const artifactsDir = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const uiDist = path.join(repoRoot, 'ui', 'dist');

export const serverBin = path.resolve(repoRoot, process.env.STORYLOOM_BIN || 'target/debug/storyloom');
export const chromiumPath = process.env.STORYLOOM_CHROMIUM || '/usr/bin/chromium';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** playwright-core, resolved from ui/ where it is a devDependency. */
export function loadPlaywright() {
  const require = createRequire(path.join(repoRoot, 'ui', 'package.json'));
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core not found: run \`npm ci\` in ui/ first (${e.message})`);
  }
}

/** Fails early, with what to do, when something the tests need is missing. */
export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(serverBin)) {
    missing.push(`server binary ${serverBin} (build it, or set STORYLOOM_BIN)`);
  }
  if (!existsSync(path.join(uiDist, 'index.html'))) {
    missing.push(`built UI ${uiDist}/index.html (run \`npm ci && npm run build\` in ui/)`);
  }
  if (!existsSync(chromiumPath)) {
    missing.push(`Chromium at ${chromiumPath} (apt-get install chromium, or set STORYLOOM_CHROMIUM)`);
  }
  if (missing.length) throw new Error(`e2e prerequisites missing:\n  - ${missing.join('\n  - ')}`);
}

export function makeDataDir() {
  return mkdtempSync(path.join(tmpdir(), 'storyloom-e2e-'));
}

export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts `storyloom serve` on `addr` (`auth`: `local`, the default, or `accounts` for sign-in
 * with user accounts; `env`: extra environment, e.g. a sign-in provider's settings) and resolves
 * once it printed
 * `STORYLOOM_LISTENING http://HOST:PORT`. Rejects (with its stderr) when it exits first or is not
 * ready within 30 s.
 */
export function startServer(dataDir, { addr = '127.0.0.1:0', auth = 'local', env = {} } = {}) {
  // Generous per-caller limits: a test signs several people up from one address in seconds, and
  // the UI's polling is fast; the limits themselves are tested in tests/it/api_limits.rs.
  const args = ['serve', '--addr', addr, '--data-dir', dataDir, '--ui-dir', uiDist, '--auth', auth,
    '--rate-auth', '1000', '--rate-queries', '100000', '--rate-other', '100000', '--rate-generation', '100000'];
  const child = spawn(serverBin, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  let stopping = false;
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const server = {
    child,
    url: '',
    exited,
    /** Set when the process ended without stop() being called: { code, signal }. */
    get unexpectedExit() {
      return exitInfo && !stopping ? exitInfo : null;
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** SIGTERM, then waits for the exit (SIGKILL after 10 s). Resolves with { code, signal, timedOut }. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return { ...(await exited), timedOut: false };
      stopping = true;
      child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result) return { ...result, timedOut: false };
      child.kill('SIGKILL');
      return { ...(await exited), timedOut: true };
    },
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        resolve(server);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`server not ready after ${READY_TIMEOUT_MS} ms\n--- stderr ---\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^STORYLOOM_LISTENING (http:\/\/\S+)\s*$/m);
      if (m && !server.url) {
        server.url = m[1].replace(/\/$/, '');
        finish();
      }
    });
    child.once('error', (e) => finish(new Error(`cannot start ${serverBin}: ${e.message}`)));
    exited.then(({ code, signal }) =>
      finish(
        new Error(
          `server exited before it was ready (code ${code}, signal ${signal})\n` +
            `command: ${serverBin} ${args.join(' ')}\n--- stderr ---\n${stderr}`,
        ),
      ),
    );
  });
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // The UI follows the browser's language (ui/src/i18n); the tests read its English text.
  '--lang=en-US',
];

/**
 * Headless Chromium. playwright's launch() gives every browser a fresh temporary profile
 * (its own --user-data-dir, removed on close), so no state leaks between runs.
 */
export async function launchBrowser() {
  const { chromium } = loadPlaywright();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

// Why reads wait: the page renders what it fetched, and what an action changed, some time after
// the element appeared or the action returned (later still on a busy machine), so a value read at
// once can still be the old one. A read that a test asserts therefore goes through expectPoll (or
// waitUntil, or a locator's waitFor), which retries it until it holds or the time is up. Only
// checks that something did NOT happen read once, after waiting for what would have shown it.

const show = (v) => (v instanceof Error ? `error: ${v.message}` : inspect(v, { depth: 4, breakLength: Infinity }));

/** Polls `fn` until it returns a truthy value; throws with `message` (and the last value) after `timeout` ms. */
export async function waitUntil(fn, message, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms: ${message} (last: ${show(last)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The waiting assertion: polls `read` until its value meets `expected`, then returns that value.
 * `expected` is a predicate (holds when it returns truthy), a RegExp (the value, a string, matches)
 * or a value (deep strict equality, as assert.deepStrictEqual). `opts` is the message, or
 * `{ message, timeout }` (default 10 s). A read that throws (element not there yet) is retried, and
 * so is a predicate that throws (it may hold asserts: the last failure is what the error shows).
 * On time-out it throws an AssertionError-like Error naming the message, what was expected and
 * the last value read.
 */
export async function expectPoll(read, expected, opts = {}) {
  const { message = 'expectPoll', timeout = 10_000 } = typeof opts === 'string' ? { message: opts } : opts;
  const holds =
    typeof expected === 'function'
      ? (v) => Boolean(expected(v))
      : expected instanceof RegExp
        ? (v) => typeof v === 'string' && expected.test(v)
        : (v) => isDeepStrictEqual(v, expected);
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    let ok = false;
    try {
      last = await read();
      ok = holds(last);
    } catch (e) {
      last = e;
    }
    if (ok) return last;
    if (Date.now() > deadline) {
      const want = typeof expected === 'function' ? `to satisfy ${expected.toString().slice(0, 120)}` : `${show(expected)}`;
      const err = new Error(`${message}: expected ${want}, last value after ${timeout} ms: ${show(last)}`);
      err.name = 'AssertionError';
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the script editor shows: the length of its whole text (the frame's `data-length`) and the
 * runs of lines it has in the DOM (CodeMirror draws only the lines in view and near it; a run
 * ends where it leaves out lines). Each line is its text nodes outside widgets (the placeholder).
 */
export async function editorView(page) {
  return page.evaluate(() => {
    const frame = document.querySelector('[data-testid="script-editor-frame"]');
    const content = frame?.querySelector('[data-testid="script-editor"]');
    if (!content) return null;
    const runs = [[]];
    for (const el of content.children) {
      if (el.classList.contains('cm-line')) {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let text = '';
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const widget = n.parentElement.closest('[contenteditable="false"]');
          if (!widget || !el.contains(widget)) text += n.nodeValue;
        }
        runs.at(-1).push(text);
      } else if (el.classList.contains('cm-gap') && runs.at(-1).length) {
        runs.push([]);
      }
    }
    return { length: Number(frame.getAttribute('data-length')), runs: runs.filter((r) => r.length).map((r) => r.join('\n')) };
  });
}

/**
 * Whether the script editor holds `expected`: a text of its length, whose lines in the DOM are
 * lines of `expected` in the same places as far as the DOM shows (each run of lines appears in it).
 */
export async function editorShows(page, expected) {
  const v = await editorView(page);
  if (!v || v.length !== expected.length || v.runs.length === 0) return false;
  return v.runs.every((run) => `\n${expected}\n`.includes(`\n${run}\n`));
}

/** The length of the script editor's whole text (its frame's `data-length`). */
export async function editorLength(page) {
  return Number(await page.getByTestId('script-editor-frame').getAttribute('data-length'));
}

function safeName(s) {
  return s.replace(/[^a-z0-9-]+/gi, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'test';
}

/** Saves a screenshot, the page's HTML and the server's stderr for a failed test. */
export async function saveFailureArtifacts(name, { page, servers = [], notes = [] } = {}) {
  mkdirSync(artifactsDir, { recursive: true });
  const base = path.join(artifactsDir, safeName(name));
  const saved = [];
  if (page && !page.isClosed()) {
    try {
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 });
      saved.push(`${base}.png`);
      writeFileSync(`${base}.html`, await page.content());
      saved.push(`${base}.html`);
    } catch (e) {
      notes.push(`screenshot failed: ${e.message}`);
    }
  }
  const log = servers
    .filter(Boolean)
    .map((s, i) => `=== server ${i + 1} ${s.url}\n--- stdout ---\n${s.stdout}\n--- stderr ---\n${s.stderr}`)
    .concat(notes)
    .join('\n');
  if (log) {
    writeFileSync(`${base}.log`, log);
    saved.push(`${base}.log`);
  }
  return saved;
}

/** JSON API call from the test itself (to check what the server really holds). */
/** Fills the sign-up form (already on screen) and submits it; the caller waits for what follows. */
export async function submitSignUp(page, { username, email, password }) {
  await page.getByTestId('sign-up-form').waitFor();
  await page.getByTestId('username-input').fill(username);
  if (email) await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('confirm_password-input').fill(password);
  await page.getByTestId('sign-up-submit').click();
}

/** The signed-in page's `Authorization` header, for calls the test makes beside the UI. */
export async function sessionAuth(page) {
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('storyloom.session')).access_token);
  return { authorization: `Bearer ${token}` };
}

export async function api(server, method, apiPath, body, headers = {}) {
  const res = await fetch(server.url + apiPath, {
    method,
    headers: body === undefined ? { ...headers } : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** With STORYLOOM_SCREENSHOTS=dir, saves what the page looks like there (for a person to look at). */
export async function shoot(page, name) {
  const dir = process.env.STORYLOOM_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}
