import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import { assetDownloadUrl, assetsListPath, listAssets, restoreAsset, trashAsset } from './assets';
import {
  addCharacterImage,
  confirmCharacter,
  createCharacter,
  listCharacters,
  updateCharacter,
} from './characters';
import { getProject } from './projects';
import { listSamples, openSample } from './samples';
import { getScript, parseScript, previewScript, saveScript, uploadScript } from './script';
import {
  createShot,
  deleteShot,
  getStoryboard,
  mergeShots,
  moveShot,
  restoreShot,
  revertShot,
  splitShot,
  updateShot,
} from './storyboard';
import { createVersion, getVersion, listVersions, onVersionCountsChanged, setCurrentVersion } from './versions';

type Call = { url: string; method?: string; body?: unknown; form?: Record<string, string>; contentType?: string };

function install(respond: (call: Call) => Response = () => new Response('{}', { status: 200 }), baseUrl = '') {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = { url, method: init?.method };
    if (init?.body instanceof FormData) {
      call.form = {};
      for (const [k, v] of init.body.entries()) call.form[k] = typeof v === 'string' ? v : `file:${(v as File).name}`;
    } else if (typeof init?.body === 'string') {
      call.body = JSON.parse(init.body);
    }
    if (headers['Content-Type']) call.contentType = headers['Content-Type'];
    calls.push(call);
    return respond(call);
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl, fetch }));
  return calls;
}

afterEach(() => setTransport(undefined));

describe('versions client', () => {
  it('uses the documented paths', async () => {
    const calls = install();
    await listVersions('p 1');
    await getVersion('p1', 'v1');
    await createVersion('p1');
    await createVersion('p1', { from_version_id: 'v1', note: 'alt ending', make_current: false });
    await setCurrentVersion('p1', 'v2');
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/projects/p%201/versions?page=1&limit=100', method: 'GET', body: undefined },
      { url: '/api/v1/projects/p1/versions/v1', method: 'GET', body: undefined },
      { url: '/api/v1/projects/p1/versions', method: 'POST', body: {} },
      {
        url: '/api/v1/projects/p1/versions',
        method: 'POST',
        body: { from_version_id: 'v1', note: 'alt ending', make_current: false },
      },
      { url: '/api/v1/projects/p1/versions/v2/current', method: 'POST', body: undefined },
    ]);
  });
});

describe('script client', () => {
  it('gets, saves, parses and previews', async () => {
    const calls = install();
    await getScript('p1', 'v1');
    await saveScript('p1', 'v1', '场景1：客厅 日 内');
    await saveScript('p1', 'v1', 'draft', false);
    await saveScript('p1', 'v1', 'based on 7', true, 7);
    await parseScript('p1', 'v1');
    await parseScript('p1', 'v1', 'a9');
    await previewScript('INT. ROOM - DAY');
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/projects/p1/versions/v1/script', method: 'GET', body: undefined },
      { url: '/api/v1/projects/p1/versions/v1/script', method: 'PUT', body: { text: '场景1：客厅 日 内' } },
      { url: '/api/v1/projects/p1/versions/v1/script', method: 'PUT', body: { text: 'draft', parse: false } },
      { url: '/api/v1/projects/p1/versions/v1/script', method: 'PUT', body: { text: 'based on 7', base_revision: 7 } },
      { url: '/api/v1/projects/p1/versions/v1/script/parse', method: 'POST', body: {} },
      { url: '/api/v1/projects/p1/versions/v1/script/parse', method: 'POST', body: { script_asset_id: 'a9' } },
      { url: '/api/v1/script/preview', method: 'POST', body: { text: 'INT. ROOM - DAY' } },
    ]);
  });

  it('uploads the file as multipart field `file`, without a JSON content type', async () => {
    const calls = install(() => new Response('{"asset_id":"a1"}', { status: 201 }));
    const file = new File(['Title: X'], 'pilot.fountain', { type: 'text/plain' });
    await expect(uploadScript('p1', 'v1', file)).resolves.toEqual({ asset_id: 'a1' });
    expect(calls[0]).toEqual({
      url: '/api/v1/projects/p1/versions/v1/script/upload',
      method: 'POST',
      form: { file: 'file:pilot.fountain' },
    });
  });

  it('maps a 413 to a PAYLOAD_TOO_LARGE ApiError with the server detail', async () => {
    install(
      () =>
        new Response(JSON.stringify({ detail: 'file too large', error_code: 'PAYLOAD_TOO_LARGE', retryable: false }), {
          status: 413,
        }),
    );
    const err = await uploadScript('p1', 'v1', new Blob(['x']), 'big.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 413, error_code: 'PAYLOAD_TOO_LARGE', detail: 'file too large' });
  });
});

describe('samples client', () => {
  it('lists and opens samples', async () => {
    const calls = install();
    await listSamples();
    await openSample('rebirth_ep1');
    expect(calls.map(({ url, method }) => `${method} ${url}`)).toEqual([
      'GET /api/v1/samples',
      'POST /api/v1/samples/rebirth_ep1/open',
    ]);
  });
});

describe('storyboard client', () => {
  it('uses the documented paths and bodies', async () => {
    const calls = install();
    await getStoryboard('p1');
    await getStoryboard('p1', 'v2');
    await createShot({ project_id: 'p1', scene_number: 2, description: 'A door opens', after_id: 's1' });
    await updateShot('s1', { description: 'New', duration: 2.5, shot_type: 'close_up', camera_move: 'pan' });
    await deleteShot('s1');
    await restoreShot('s1');
    await moveShot('s1', { after_id: 's2' });
    await moveShot('s1', { after_id: null });
    await moveShot('s1', { before_id: 's3' });
    await splitShot('s1');
    await splitShot('s1', { at_line: 2 });
    await mergeShots('s1', 's2');
    const state = {
      kind: 'action' as const,
      description: 'A',
      dialogue: [],
      character_ids: [],
      shot_type: null,
      camera_move: null,
      duration: 2,
      edited: false,
    };
    await revertShot('s1', { expected: { ...state, description: 'AB' }, state, restore_ids: ['s2'] });
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/projects/p1/storyboard', method: 'GET', body: undefined },
      { url: '/api/v1/projects/p1/storyboard?version_id=v2', method: 'GET', body: undefined },
      {
        url: '/api/v1/storyboards',
        method: 'POST',
        body: { project_id: 'p1', scene_number: 2, description: 'A door opens', after_id: 's1' },
      },
      {
        url: '/api/v1/storyboards/s1',
        method: 'PATCH',
        body: { description: 'New', duration: 2.5, shot_type: 'close_up', camera_move: 'pan' },
      },
      { url: '/api/v1/storyboards/s1', method: 'DELETE', body: undefined },
      { url: '/api/v1/storyboards/s1/restore', method: 'POST', body: undefined },
      { url: '/api/v1/storyboards/s1/move', method: 'POST', body: { after_id: 's2' } },
      { url: '/api/v1/storyboards/s1/move', method: 'POST', body: { after_id: null } },
      { url: '/api/v1/storyboards/s1/move', method: 'POST', body: { before_id: 's3' } },
      { url: '/api/v1/storyboards/s1/split', method: 'POST', body: {} },
      { url: '/api/v1/storyboards/s1/split', method: 'POST', body: { at_line: 2 } },
      { url: '/api/v1/storyboards/s1/merge', method: 'POST', body: { with_id: 's2' } },
      {
        url: '/api/v1/storyboards/s1/revert',
        method: 'POST',
        body: { expected: { ...state, description: 'AB' }, state, restore_ids: ['s2'] },
      },
    ]);
  });

  it("tells the version picker when a project's counts may have changed", async () => {
    install(() => new Response(JSON.stringify({ id: 's1', project_id: 'p1' }), { status: 200 }));
    const seen: string[] = [];
    const off = onVersionCountsChanged((p) => seen.push(p));
    await deleteShot('s1', 'p1');
    await restoreShot('s1');
    await mergeShots('s1', 's2');
    await getStoryboard('p1');
    await saveScript('p2', 'v1', 'text');
    await saveScript('p3', 'v1', 'text', false);
    off();
    await restoreShot('s1');
    expect(seen).toEqual(['p1', 'p1', 'p1', 'p2']);
  });

  it('rejects with the server error body (e.g. a 404 for a shot that is gone)', async () => {
    install(
      () =>
        new Response(JSON.stringify({ detail: 'shot s9 not found', error_code: 'NOT_FOUND', retryable: false }), {
          status: 404,
        }),
    );
    const err = (await moveShot('s9', { after_id: null }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.isNotFound).toBe(true);
    expect(err.detail).toBe('shot s9 not found');
  });
});

describe('characters client', () => {
  it('uses the documented paths and bodies', async () => {
    const calls = install();
    await listCharacters('p1');
    await listCharacters('p1', { status: 'proposed' });
    await createCharacter({ project_id: 'p1', name: '林雪', voice: 'warm' });
    await updateCharacter('c1', { name: 'Lin Xue' });
    await confirmCharacter('c1');
    await addCharacterImage('c1', new File(['png'], 'face.png', { type: 'image/png' }));
    expect(calls.map(({ url, method, body, form }) => ({ url, method, body, form }))).toEqual([
      { url: '/api/v1/characters?project_id=p1&page=1&limit=100', method: 'GET', body: undefined, form: undefined },
      {
        url: '/api/v1/characters?project_id=p1&status=proposed&page=1&limit=100',
        method: 'GET',
        body: undefined,
        form: undefined,
      },
      {
        url: '/api/v1/characters',
        method: 'POST',
        body: { project_id: 'p1', name: '林雪', voice: 'warm' },
        form: undefined,
      },
      { url: '/api/v1/characters/c1', method: 'PATCH', body: { name: 'Lin Xue' }, form: undefined },
      { url: '/api/v1/characters/c1/confirm', method: 'POST', body: undefined, form: undefined },
      { url: '/api/v1/characters/c1/images', method: 'POST', body: undefined, form: { image: 'file:face.png' } },
    ]);
  });

  it('keeps the field of a 409 duplicate-name error', async () => {
    install(
      () =>
        new Response(
          JSON.stringify({ detail: 'a character named 林雪 exists', error_code: 'CONFLICT', retryable: false, field: 'name' }),
          { status: 409 },
        ),
    );
    const err = (await createCharacter({ project_id: 'p1', name: '林雪' }).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(409);
    expect(err.field).toBe('name');
  });
});

describe('assets client', () => {
  it('builds the list path: status defaults to active, type "all" is left out', () => {
    expect(assetsListPath({ projectId: 'p1' })).toBe('/api/v1/assets?project_id=p1&status=active&page=1&limit=50');
    expect(assetsListPath({ projectId: 'p1', type: 'all', status: 'trashed' })).toBe(
      '/api/v1/assets?project_id=p1&status=trashed&page=1&limit=50',
    );
    expect(assetsListPath({ projectId: 'p1', versionId: 'v1', type: 'original_script', page: 2, limit: 10 })).toBe(
      '/api/v1/assets?project_id=p1&version_id=v1&type=original_script&status=active&page=2&limit=10',
    );
  });

  it('lists, trashes and restores', async () => {
    const calls = install();
    await listAssets({ projectId: 'p1', status: 'trashed' });
    await trashAsset('a1');
    await restoreAsset('a1');
    expect(calls.map(({ url, method }) => `${method} ${url}`)).toEqual([
      'GET /api/v1/assets?project_id=p1&status=trashed&page=1&limit=50',
      'POST /api/v1/assets/a1/trash',
      'POST /api/v1/assets/a1/restore',
    ]);
  });

  it('download URLs follow the transport base URL', () => {
    install(undefined, 'app://localhost');
    expect(assetDownloadUrl('a 1')).toBe('app://localhost/api/v1/assets/a%201/download');
  });
});

describe('projects client (editor additions)', () => {
  it('gets one project', async () => {
    const calls = install();
    await getProject('p/1');
    expect(calls[0]).toMatchObject({ url: '/api/v1/projects/p%2F1', method: 'GET' });
  });
});
