import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './errors';
import { TOKEN_STORAGE_KEY, createTransport, detectTarget, joinUrl, readToken, type HostLike } from './index';

const LINUX_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Safari/605.1.15';
const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko)';
const WINDOWS_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0';

function storage(values: Record<string, string>): Pick<Storage, 'getItem'> {
  return { getItem: (k: string) => (k in values ? values[k]! : null) };
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

type Call = { url: string; init: RequestInit };

function recordingFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: string, init?: RequestInit) => {
    const call = { url, init: init ?? {} };
    calls.push(call);
    return respond(call);
  });
  return { fn, calls };
}

function headersOf(call: Call): Record<string, string> {
  return call.init.headers as Record<string, string>;
}

describe('detectTarget', () => {
  it('uses the page origin in a browser', () => {
    expect(detectTarget({ navigator: { userAgent: LINUX_UA } })).toEqual({ kind: 'browser', baseUrl: '' });
    expect(detectTarget(undefined)).toEqual({ kind: 'browser', baseUrl: '' });
  });

  it('uses app://localhost in the desktop shell on Linux and macOS', () => {
    expect(detectTarget({ __TAURI_INTERNALS__: {}, navigator: { userAgent: LINUX_UA } })).toEqual({
      kind: 'desktop',
      baseUrl: 'app://localhost',
    });
    expect(detectTarget({ __TAURI_INTERNALS__: {}, navigator: { userAgent: MAC_UA } }).baseUrl).toBe(
      'app://localhost',
    );
  });

  it('uses http://app.localhost in the desktop shell on Windows', () => {
    expect(detectTarget({ __TAURI_INTERNALS__: {}, navigator: { userAgent: WINDOWS_UA } })).toEqual({
      kind: 'desktop',
      baseUrl: 'http://app.localhost',
    });
  });

  it('uses http://app.localhost on Android too (same wry mapping as Windows)', () => {
    const android = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';
    expect(detectTarget({ __TAURI_INTERNALS__: {}, navigator: { userAgent: android } }).baseUrl).toBe('http://app.localhost');
  });

  it('is not fooled by a Windows browser without Tauri', () => {
    expect(detectTarget({ navigator: { userAgent: WINDOWS_UA } }).kind).toBe('browser');
  });
});

describe('joinUrl', () => {
  it('joins base and path with exactly one slash', () => {
    expect(joinUrl('app://localhost', '/api/v1/projects')).toBe('app://localhost/api/v1/projects');
    expect(joinUrl('http://app.localhost/', '/health')).toBe('http://app.localhost/health');
    expect(joinUrl('', '/api/v1/projects?page=2')).toBe('/api/v1/projects?page=2');
  });

  it('rejects relative paths', () => {
    expect(() => joinUrl('', 'api/v1/projects')).toThrow(/must start with/);
  });
});

describe('request', () => {
  it('desktop (Linux): fetches app://localhost URLs and sends no token', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(200, { items: [] }));
    const t = createTransport(
      {
        __TAURI_INTERNALS__: {},
        navigator: { userAgent: LINUX_UA },
        localStorage: storage({ [TOKEN_STORAGE_KEY]: 'secret' }),
      },
      fn,
    );
    expect(t.kind).toBe('desktop');
    await expect(t.request('GET', '/api/v1/projects')).resolves.toEqual({ items: [] });
    expect(calls[0]!.url).toBe('app://localhost/api/v1/projects');
    expect(calls[0]!.init.method).toBe('GET');
    expect(headersOf(calls[0]!).Authorization).toBeUndefined();
  });

  it('desktop (Windows): fetches http://app.localhost URLs', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(200, {}));
    const t = createTransport({ __TAURI_INTERNALS__: {}, navigator: { userAgent: WINDOWS_UA } }, fn);
    await t.request('DELETE', '/api/v1/projects/abc');
    expect(calls[0]!.url).toBe('http://app.localhost/api/v1/projects/abc');
    expect(calls[0]!.init.method).toBe('DELETE');
  });

  it('browser: same-origin relative URL, JSON body with content type', async () => {
    const created = { id: '1', name: 'Pilot' };
    const { fn, calls } = recordingFetch(() => jsonResponse(201, created));
    const t = createTransport({ navigator: { userAgent: LINUX_UA }, localStorage: storage({}) }, fn);
    const res = await t.request('POST', '/api/v1/projects', { name: 'Pilot', aspect_ratio: '9:16' });
    expect(res).toEqual(created);
    expect(calls[0]!.url).toBe('/api/v1/projects');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.body).toBe('{"name":"Pilot","aspect_ratio":"9:16"}');
    expect(headersOf(calls[0]!)['Content-Type']).toBe('application/json');
    expect(headersOf(calls[0]!).Accept).toBe('application/json');
    expect(headersOf(calls[0]!).Authorization).toBeUndefined();
  });

  it('browser: no body and no content type on GET', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(200, {}));
    await createTransport({}, fn).request('GET', '/health');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)['Content-Type']).toBeUndefined();
  });

  it('browser: sends the stored token as a bearer token, read on every request', async () => {
    const values: Record<string, string> = { [TOKEN_STORAGE_KEY]: 'tok-1' };
    const { fn, calls } = recordingFetch(() => jsonResponse(200, {}));
    const t = createTransport({ localStorage: storage(values) }, fn);
    await t.request('GET', '/api/v1/projects');
    expect(headersOf(calls[0]!).Authorization).toBe('Bearer tok-1');

    values[TOKEN_STORAGE_KEY] = 'tok-2';
    await t.request('GET', '/api/v1/projects');
    expect(headersOf(calls[1]!).Authorization).toBe('Bearer tok-2');

    delete values[TOKEN_STORAGE_KEY];
    await t.request('GET', '/api/v1/projects');
    expect(headersOf(calls[2]!).Authorization).toBeUndefined();
  });

  it('throws an ApiError with the server body on 4xx', async () => {
    const body = { detail: 'name must not be empty', error_code: 'VALIDATION_ERROR', retryable: false, field: 'name' };
    const { fn } = recordingFetch(() => jsonResponse(422, body));
    const err = await createTransport({}, fn)
      .request('POST', '/api/v1/projects', { name: '' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, ...body });
  });

  it('throws a retryable ApiError on 5xx with retry_after from the header', async () => {
    const { fn } = recordingFetch(() =>
      jsonResponse(503, { detail: 'warming up', error_code: 'SERVICE_UNAVAILABLE', retryable: true }, { 'Retry-After': '3' }),
    );
    const err = (await createTransport({}, fn).request('GET', '/health').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.retry_after).toBe(3);
  });

  it('turns a failed fetch into a NETWORK_ERROR ApiError', async () => {
    const fn = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = (await createTransport({}, fn).request('GET', '/api/v1/projects').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.error_code).toBe('NETWORK_ERROR');
    expect(err.retryable).toBe(true);
  });

  it('lets an abort through as an AbortError, not an ApiError', async () => {
    const fn = vi.fn(async () => {
      throw new DOMException('The operation was aborted.', 'AbortError');
    });
    const ctrl = new AbortController();
    const err = await createTransport({}, fn)
      .request('GET', '/api/v1/projects', undefined, ctrl.signal)
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect((err as DOMException).name).toBe('AbortError');
  });

  it('passes the abort signal to fetch', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(200, {}));
    const ctrl = new AbortController();
    await createTransport({}, fn).request('GET', '/health', undefined, ctrl.signal);
    expect(calls[0]!.init.signal).toBe(ctrl.signal);
  });

  it('resolves undefined for 204 and empty bodies', async () => {
    const { fn } = recordingFetch(() => new Response(null, { status: 204 }));
    await expect(createTransport({}, fn).request('DELETE', '/api/v1/x')).resolves.toBeUndefined();
  });

  it('throws BAD_RESPONSE when a 2xx body is not JSON', async () => {
    const { fn } = recordingFetch(() => new Response('<!doctype html><html></html>', { status: 200 }));
    const err = (await createTransport({}, fn).request('GET', '/api/v1/projects').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.error_code).toBe('BAD_RESPONSE');
  });
});

describe('readToken', () => {
  it('returns the trimmed token, or null when missing, blank or storage throws', () => {
    expect(readToken({ localStorage: storage({ [TOKEN_STORAGE_KEY]: ' abc \n' }) })).toBe('abc');
    expect(readToken({ localStorage: storage({ [TOKEN_STORAGE_KEY]: '   ' }) })).toBeNull();
    expect(readToken({ localStorage: storage({}) })).toBeNull();
    expect(readToken(undefined)).toBeNull();
    const throwing: HostLike = {
      localStorage: {
        getItem: () => {
          throw new Error('SecurityError');
        },
      },
    };
    expect(readToken(throwing)).toBeNull();
  });
});

describe('multipart request', () => {
  it('sends FormData as is, without a JSON content type', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(201, { id: 'a1' }));
    const form = new FormData();
    form.append('file', new Blob(['INT. ROOM - DAY'], { type: 'text/plain' }), 'pilot.fountain');
    await expect(createTransport({}, fn).request('POST', '/api/v1/x/upload', form)).resolves.toEqual({ id: 'a1' });
    expect(calls[0]!.init.body).toBe(form);
    expect(headersOf(calls[0]!)['Content-Type']).toBeUndefined();
    expect(headersOf(calls[0]!).Accept).toBe('application/json');
  });

  it('sends the desktop the multipart bytes as a buffer (WebKitGTK drops app:// bodies holding a File)', async () => {
    const { fn, calls } = recordingFetch(() => jsonResponse(201, { id: 'a1' }));
    const form = new FormData();
    form.append('project_id', 'p1');
    form.append('file', new Blob(['INT. ROOM - DAY'], { type: 'text/plain' }), 'pilot.fountain');
    const desktop = createTransport({ __TAURI_INTERNALS__: {}, navigator: { userAgent: 'X11; Linux' } }, fn);
    await expect(desktop.request('POST', '/api/v1/x/upload', form)).resolves.toEqual({ id: 'a1' });
    const body = calls[0]!.init.body;
    expect(body).toBeInstanceOf(Uint8Array);
    const type = headersOf(calls[0]!)['Content-Type'] ?? '';
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const text = new TextDecoder().decode(body as Uint8Array);
    const boundary = type.split('boundary=')[1]!;
    expect(text).toContain(`--${boundary}`);
    expect(text).toContain('name="project_id"');
    expect(text).toContain('filename="pilot.fountain"');
    expect(text).toContain('INT. ROOM - DAY');
    // The bytes parse back into the same form (what the server's multipart reader sees).
    const parsed = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': type } }).formData();
    expect(parsed.get('project_id')).toBe('p1');
    const file = parsed.get('file') as File;
    expect(file.name).toBe('pilot.fountain');
    expect(await file.text()).toBe('INT. ROOM - DAY');
  });
});

describe('stream options (the summarizer: a GET that resumes, a multipart POST)', () => {
  it('sends a GET without a body, with extra headers and the credentials', async () => {
    const { fn, calls } = recordingFetch(() => new Response(null, { status: 204 }));
    const t = createTransport({ localStorage: storage({ [TOKEN_STORAGE_KEY]: 'tok' }) }, fn);
    const res = await t.stream('/api/v1/summarize?url=x', undefined, undefined, { method: 'GET', headers: { 'Last-Event-ID': 'run:3' } });
    expect(res.status).toBe(204);
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.body).toBeUndefined();
    expect(headersOf(calls[0]!)).toMatchObject({ 'Last-Event-ID': 'run:3', Authorization: 'Bearer tok', Accept: 'text/event-stream, application/json' });
    expect(headersOf(calls[0]!)['Content-Type']).toBeUndefined();
  });

  it('POSTs a FormData as multipart: as is in the browser, as bytes on the desktop', async () => {
    const form = new FormData();
    form.append('file', new File(['abc'], 'a.mp4'));
    const browser = recordingFetch(() => new Response('', { status: 200 }));
    await createTransport(undefined, browser.fn).stream('/api/v1/summarize', form);
    expect(browser.calls[0]!.init.body).toBe(form);
    expect(headersOf(browser.calls[0]!)['Content-Type']).toBeUndefined();
    const desktop = recordingFetch(() => new Response('', { status: 200 }));
    await createTransport({ __TAURI_INTERNALS__: {}, navigator: { userAgent: LINUX_UA } }, desktop.fn).stream('/api/v1/summarize', form);
    expect(headersOf(desktop.calls[0]!)['Content-Type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(desktop.calls[0]!.init.body).toBeInstanceOf(Uint8Array);
  });
});
