import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import { readChatChunk, streamChat, type ChatRequest } from './router';

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })}\n\n`;

/** A streamed body that hands out `bytes` in pieces of `size` bytes (UTF-8 characters may be cut). */
function body(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const sse = (text: string, size = 5, headers: Record<string, string> = { 'x-usage-id': 'req-1' }) =>
  new Response(body(text, size), { status: 200, headers: { 'content-type': 'text/event-stream', ...headers } });

function install(respond: (url: string, init: RequestInit) => Response | Promise<Response>, token = 'tok-1') {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    return respond(url, init ?? {});
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch, getToken: () => token }));
  return calls;
}

const REQUEST: ChatRequest = { model: 'team-chat', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 50 };

describe('readChatChunk', () => {
  it('reads text, usage, errors and the end', () => {
    expect(readChatChunk(JSON.stringify({ choices: [{ delta: { content: 'Hel' } }] }))).toEqual({ kind: 'delta', text: 'Hel', usage: null });
    expect(readChatChunk(JSON.stringify({ choices: [{ delta: { role: 'assistant' } }] }))).toEqual({ kind: 'delta', text: '', usage: null });
    expect(readChatChunk(JSON.stringify({ choices: [{ delta: { content: '!' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 2 } }))).toEqual({
      kind: 'delta',
      text: '!',
      usage: { prompt_tokens: 4, completion_tokens: 2 },
    });
    expect(readChatChunk(' [DONE]')).toEqual({ kind: 'done' });
    expect(readChatChunk('{"error":{"message":"the upstream sent nothing for 60 s","type":"api_error","param":null,"code":null}}')).toEqual({
      kind: 'error',
      error: { message: 'the upstream sent nothing for 60 s', type: 'api_error', code: null, param: null },
    });
    expect(readChatChunk('not json')).toEqual({ kind: 'delta', text: '', usage: null });
  });
});

describe('streamChat', () => {
  afterEach(() => setTransport(undefined));

  it('passes each piece on as it comes, then ends at [DONE] with the usage row and usage', async () => {
    const text = `${chunk('Hello')}${chunk(' wörld ')}: keep-alive\n\n${chunk('你好')}${usage}data: [DONE]\n\n`;
    const calls = install(() => sse(text, 3));
    const pieces: string[] = [];
    const result = await streamChat(REQUEST, (p) => pieces.push(p));
    expect(pieces).toEqual(['Hello', ' wörld ', '你好']);
    expect(result).toEqual({ usageId: 'req-1', end: 'done', error: null, usage: { prompt_tokens: 11, completion_tokens: 3 } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('/v1/chat/completions');
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers).toMatchObject({ Authorization: 'Bearer tok-1', 'Content-Type': 'application/json' });
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ ...REQUEST, stream: true, stream_options: { include_usage: true } });
  });

  it('ends with the error event that arrives mid-stream, keeping what came before', async () => {
    const err = 'data: {"error":{"message":"upstream error mid-stream: overloaded","type":"api_error","param":null,"code":null}}\n\n';
    install(() => sse(`${chunk('Par')}${err}${chunk('never')}data: [DONE]\n\n`));
    const pieces: string[] = [];
    const result = await streamChat(REQUEST, (p) => pieces.push(p));
    expect(pieces).toEqual(['Par']);
    expect(result.end).toBe('error');
    expect(result.usageId).toBe('req-1');
    expect(result.error).toBeInstanceOf(ApiError);
    expect(result.error).toMatchObject({ status: 502, error_code: 'UPSTREAM_FAILED', detail: 'upstream error mid-stream: overloaded' });
  });

  it('reads an OpenAI-shaped refusal as the answer', async () => {
    install(
      () =>
        new Response(JSON.stringify({ error: { message: 'this call may cost up to 163 credits; 20 are available', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }), {
          status: 402,
          headers: { 'content-type': 'application/json' },
        }),
    );
    const onText = vi.fn();
    const result = await streamChat(REQUEST, onText);
    expect(onText).not.toHaveBeenCalled();
    expect(result.end).toBe('error');
    expect(result.usageId).toBeNull();
    expect(result.error).toMatchObject({ status: 402, error_code: 'CREDITS_EXCEEDED', detail: 'this call may cost up to 163 credits; 20 are available' });
  });

  it('says when the answer ends without [DONE]', async () => {
    install(() => sse(chunk('Hel')));
    const result = await streamChat(REQUEST, () => undefined);
    expect(result).toMatchObject({ end: 'cut', error: null, usageId: 'req-1' });
  });

  it('stops when aborted, with the usage row to look up', async () => {
    const controller = new AbortController();
    install(async (_url, init) => {
      // The first piece, then nothing until the reader gives up.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(chunk('Hel')));
          init.signal?.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(stream, { status: 200, headers: { 'x-usage-id': 'req-9' } });
    });
    const pieces: string[] = [];
    const result = await streamChat(
      REQUEST,
      (p) => {
        pieces.push(p);
        controller.abort();
      },
      controller.signal,
    );
    expect(pieces).toEqual(['Hel']);
    expect(result).toEqual({ usageId: 'req-9', end: 'aborted', error: null, usage: null });
  });

  it('refreshes an expired session on /v1 and sends again', async () => {
    let token = 'old';
    const onUnauthorized = vi.fn(async (e: ApiError) => {
      expect(e).toMatchObject({ status: 401, error_code: 'AUTH_INVALID', detail: 'the access token has expired' });
      token = 'new';
      return true;
    });
    const seen: string[] = [];
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string>).Authorization!;
      seen.push(auth);
      if (auth === 'Bearer old') {
        return new Response(JSON.stringify({ error: { message: 'the access token has expired', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }), { status: 401 });
      }
      return sse(`${chunk('ok')}data: [DONE]\n\n`);
    });
    setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch, getToken: () => token, onUnauthorized }));
    const result = await streamChat(REQUEST, () => undefined);
    expect(result.end).toBe('done');
    expect(seen).toEqual(['Bearer old', 'Bearer new']);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('reports an unreachable server as a network error', async () => {
    install(() => {
      throw new TypeError('fetch failed');
    });
    const result = await streamChat(REQUEST, () => undefined);
    expect(result.end).toBe('error');
    expect(result.error).toMatchObject({ status: 0, error_code: 'NETWORK_ERROR' });
  });
});
