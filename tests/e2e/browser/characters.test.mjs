// Browser end-to-end test of the character pages (issue 14) against the real `storyloom serve`:
// the voice picker with its audition and the description mapped to a voice, reference images
// (list, upload, make main, remove), and a Word .docx script imported from the Script tab.
//   node --test tests/e2e/browser/characters.test.mjs
// Same prerequisites as editor.test.mjs (server binary, ui/dist, playwright-core, Chromium), and
// espeak-ng for the voices.
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
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

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function scenario(t, fn) {
  const dir = makeDataDir();
  let server;
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    server = await startServer(dir);
    await fn({ page, server });
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

/** A project with a two-character Chinese script, opened on its Characters tab. */
async function openCharacters(page, server) {
  const created = await api(server, 'POST', '/api/v1/projects', { name: '重生' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { id, current_version_id: vid } = created.body;
  const put = await api(server, 'PUT', `/api/v1/projects/${id}/versions/${vid}/script`, {
    text: '场景1：客厅 日 内\n林晓：你回来了。\n顾辰：嗯，我回来了。\n',
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await page.goto(`${server.url}/#/projects/${id}`);
  await page.getByTestId('editor').waitFor();
  await page.getByTestId('tab-characters').click();
  await page.getByTestId('characters').waitFor();
  const chars = (await api(server, 'GET', `/api/v1/characters?project_id=${id}`)).body.items;
  const byName = Object.fromEntries(chars.map((c) => [c.name, c]));
  return { projectId: id, byName };
}

const card = (page, c) => page.locator(`[data-testid="character-card"][data-character-id="${c.id}"]`);

test('characters: voice picker with audition, a description mapped to a voice', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { byName } = await openCharacters(page, server);
    const lin = byName['林晓'];
    const gu = byName['顾辰'];
    assert.ok(lin && gu, JSON.stringify(byName));

    // ---- a description: it maps to the nearest voice, shown under the field, and can be heard ----
    await card(page, lin).getByTestId('character-edit').click();
    const form = card(page, lin).getByTestId('character-form');
    const description = form.getByTestId('character-voice-input');
    await expectPoll(() => description.getAttribute('placeholder'), /温柔女声，略带沙哑/, 'a Chinese example in the placeholder');
    // The picker lists the model's voices for the character's language (Chinese: a Chinese name).
    await expectPoll(() => form.getByTestId('character-voice-language').inputValue(), 'zh', 'the voice language is Chinese');
    const select = form.getByTestId('character-voice-select');
    await waitUntil(async () => (await select.locator('option').count()) > 1, 'the picker lists voices');
    await expectPoll(
      () => select.locator('option').evaluateAll((os) => os.map((o) => o.value)),
      (values) => values.includes('cmn'),
      'Mandarin is offered',
    );
    await description.fill('温柔女声，略带沙哑');
    const match = form.getByTestId('character-voice-match');
    await waitUntil(async () => (await match.getAttribute('data-voice')) === 'cmn+f3', 'the description maps to a female Mandarin voice');
    await expectPoll(() => match.getAttribute('data-pitch'), '42', 'the mapped pitch');
    await expectPoll(() => match.innerText(), /cmn\+f3.*pitch 42/, 'the mapped voice is shown');

    const [preview] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/voices/preview')),
      form.getByTestId('character-voice-play').click(),
    ]);
    assert.equal(preview.status(), 200);
    assert.equal(preview.headers()['content-type'], 'audio/wav');
    assert.equal(preview.headers()['x-voice'], 'cmn+f3');
    const player = form.getByTestId('character-voice-audio');
    await player.waitFor();
    await expectPoll(() => player.getAttribute('data-voice'), '温柔女声，略带沙哑', 'the player plays the description');
    await expectPoll(() => player.getAttribute('src'), /^blob:/, 'the player has the audition');
    const size = await player.evaluate((el) => fetch(el.src).then((r) => r.blob()).then((b) => b.size));
    assert.ok(size > 1000, `the audition is real audio (${size} bytes)`);

    await form.getByTestId('character-save').click();
    await card(page, lin).getByTestId('character-form').waitFor({ state: 'detached' });
    await expectPoll(async () => (await api(server, 'GET', `/api/v1/characters/${lin.id}`)).body.voice, '温柔女声，略带沙哑', 'the server holds the description');
    await waitUntil(async () => (await card(page, lin).innerText()).includes('温柔女声，略带沙哑'), 'the card shows the voice');

    // ---- a voice picked from the list, with a variant, auditioned and saved ----
    await card(page, gu).getByTestId('character-edit').click();
    const guForm = card(page, gu).getByTestId('character-form');
    const guSelect = guForm.getByTestId('character-voice-select');
    await waitUntil(async () => (await guSelect.locator('option').count()) > 1, 'the picker lists voices');
    await guSelect.selectOption('cmn');
    const variant = guForm.getByTestId('character-voice-variant');
    await variant.waitFor();
    await variant.selectOption('m3');
    await expectPoll(() => guForm.getByTestId('character-voice-input').inputValue(), '', 'a picked voice is not a description');
    await waitUntil(
      async () => (await guForm.getByTestId('character-voice-match').getAttribute('data-voice')) === 'cmn+m3',
      'the picked voice is shown as is',
    );
    const [guPreview] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/voices/preview')),
      guForm.getByTestId('character-voice-play').click(),
    ]);
    assert.equal(guPreview.status(), 200);
    assert.equal(guPreview.headers()['x-voice'], 'cmn+m3');
    await guForm.getByTestId('character-save').click();
    await card(page, gu).getByTestId('character-form').waitFor({ state: 'detached' });
    await expectPoll(async () => (await api(server, 'GET', `/api/v1/characters/${gu.id}`)).body.voice, 'cmn+m3', 'the server holds the picked voice');

    // Opening it again shows the picked voice in the picker.
    await card(page, gu).getByTestId('character-edit').click();
    const again = card(page, gu).getByTestId('character-form');
    await waitUntil(async () => (await again.getByTestId('character-voice-select').inputValue()) === 'cmn', 'the picker shows cmn');
    await expectPoll(() => again.getByTestId('character-voice-variant').inputValue(), 'm3', 'the picker shows the variant');
  }),
);

test('characters: reference images are listed, made main and removed', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    const { byName } = await openCharacters(page, server);
    const lin = byName['林晓'];
    const c = card(page, lin);
    await c.getByTestId('character-image-input').setInputFiles({ name: 'a.png', mimeType: 'image/png', buffer: png([200, 30, 30]) });
    await waitUntil(async () => (await c.getByTestId('character-ref').count()) === 1, 'one reference');
    await c.getByTestId('character-image-input').setInputFiles({ name: 'b.png', mimeType: 'image/png', buffer: png([30, 30, 200]) });
    await waitUntil(async () => (await c.getByTestId('character-ref').count()) === 2, 'two references');
    const server1 = (await api(server, 'GET', `/api/v1/characters/${lin.id}`)).body;
    const [first, second] = server1.reference_asset_ids;
    const ref = (id) => c.locator(`[data-testid="character-ref"][data-asset-id="${id}"]`);
    await expectPoll(() => ref(first).getAttribute('data-main'), 'true', 'the first image is the main one');
    await expectPoll(() => ref(second).getAttribute('data-main'), 'false', 'the second image is not main');
    // Thumbnails are real images.
    await waitUntil(async () => (await ref(second).locator('img').evaluate((img) => img.complete && img.naturalWidth)) > 0, 'the thumbnail loads');

    await ref(second).getByTestId('character-ref-make-main').click();
    await waitUntil(async () => (await ref(second).getAttribute('data-main')) === 'true', 'the second is main');
    await expectPoll(async () => (await api(server, 'GET', `/api/v1/characters/${lin.id}`)).body.image_asset_id, second, 'the server holds the new main image');
    await expectPoll(() => ref(first).getAttribute('data-main'), 'false', 'the first is no longer main');

    // Removing the main image: the other becomes main; the removed one is in the asset trash.
    await ref(second).getByTestId('character-ref-remove').click();
    await waitUntil(async () => (await c.getByTestId('character-ref').count()) === 1, 'one reference left');
    await expectPoll(() => ref(first).getAttribute('data-main'), 'true', 'the other image becomes main');
    await expectPoll(
      async () => {
        const after = (await api(server, 'GET', `/api/v1/characters/${lin.id}`)).body;
        return { refs: after.reference_asset_ids, main: after.image_asset_id };
      },
      { refs: [first], main: first },
      'the server holds one reference, the main one',
    );
    await expectPoll(async () => (await api(server, 'GET', `/api/v1/assets/${second}`)).body.status, 'trashed', 'the removed image is in the asset trash');
    await ref(first).getByTestId('character-ref-remove').click();
    await waitUntil(async () => (await c.getByTestId('character-ref').count()) === 0, 'no references');
    await expectPoll(async () => (await api(server, 'GET', `/api/v1/characters/${lin.id}`)).body.image_url, null, 'the server holds no image');
  }),
);

/** An 8×8 PNG of one colour (a real image the server decodes and thumbnails). */
function png([r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.from([0, ...Array.from({ length: 8 }, () => [r, g, b]).flat()]);
  const raw = Buffer.concat(Array.from({ length: 8 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- a minimal .docx writer (stored zip entries), so the test needs no zip package ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of files) {
    const nameBuf = Buffer.from(name, 'utf8');
    const data = Buffer.from(text, 'utf8');
    const packed = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
function docx(paragraphs) {
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${p.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</w:t></w:r></w:p>`)
    .join('');
  return zip([
    ['[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'],
    ['word/document.xml', `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`],
  ]);
}

test('script import: a Word .docx becomes the script; a broken one is refused with its reason', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server }) => {
    await openCharacters(page, server);
    await page.getByTestId('tab-script').click();
    await page.getByTestId('script-editor').waitFor();
    const input = page.getByTestId('upload-script-input');
    await expectPoll(() => input.getAttribute('accept'), /\.docx/, 'the file picker offers .docx');
    const lines = ['场景1：天台 夜 外', '苏婉：你终于来了。', '陆景深：我来晚了。'];
    await input.setInputFiles({
      name: '第2集.docx',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      buffer: docx(lines),
    });
    await page.getByTestId('toast').filter({ hasText: '第2集.docx' }).waitFor();
    await waitUntil(async () => editorShows(page, `${lines.join('\n')}\n`), 'the editor shows the document text');
    await waitUntil(
      async () => (await page.getByTestId('breakdown-scene-heading').allInnerTexts()).some((h) => h.includes('天台')),
      'the breakdown follows the imported document',
    );

    // A file that only says it is a .docx: a clear error, and the script is kept.
    await input.setInputFiles({ name: 'fake.docx', mimeType: 'application/octet-stream', buffer: Buffer.from('林晓：你好。') });
    const error = page.getByTestId('toast').filter({ hasText: 'not a readable .docx' });
    await error.waitFor();
    await expectPoll(() => error.innerText(), /not a zip archive/, 'the toast gives the reason');
    // Nothing may change: read once, after the refusal.
    assert.ok(await editorShows(page, `${lines.join('\n')}\n`), 'the script is kept');
  }),
);
