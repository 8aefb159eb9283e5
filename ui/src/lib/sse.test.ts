import { describe, expect, it } from 'vitest';
import { createSseEventParser, createSseParser, type SseEvent } from './sse';

/** Feeds `text` to a parser in pieces of `size` characters; returns every completed event's data. */
function feed(text: string, size: number): string[] {
  const p = createSseParser();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  return out;
}

describe('createSseParser', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';

  it('returns each event once its blank line arrives, however the text is cut', () => {
    for (const size of [1, 2, 3, 7, stream.length]) {
      expect(feed(stream, size), `pieces of ${size}`).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    }
  });

  it('keeps an event without its blank line pending', () => {
    const p = createSseParser();
    expect(p.push('data: one\n')).toEqual([]);
    expect(p.push('data: two')).toEqual([]);
    expect(p.push('\n\n')).toEqual(['one\ntwo']);
  });

  it('reads CRLF and CR line ends, also a CRLF split between pieces', () => {
    expect(feed('data: x\r\n\r\ndata: y\r\rdata: z\n\n', 100)).toEqual(['x', 'y', 'z']);
    const p = createSseParser();
    expect(p.push('data: x\r')).toEqual([]);
    // The LF completes the CRLF: it is not a second, blank line.
    expect(p.push('\ndata: more\r\n')).toEqual([]);
    expect(p.push('\r\n')).toEqual(['x\nmore']);
  });

  it('drops one space after the colon only, and ignores comments and other fields', () => {
    expect(feed('data:tight\n\ndata:  two spaces\n\n', 100)).toEqual(['tight', ' two spaces']);
    expect(feed('event: ping\nid: 7\nretry: 10\n: note\ndata: kept\n\n', 100)).toEqual(['kept']);
    // An event with no data dispatches nothing.
    expect(feed('event: ping\n\n: only a comment\n\n', 100)).toEqual([]);
  });
});

describe('createSseEventParser', () => {
  it('keeps each event’s name and id, and forgets them at the blank line', () => {
    const p = createSseEventParser();
    const text = 'event: status\nid: r1:0\ndata: {"stage":"fetching"}\n\n: ping\n\ndata: plain\n\nevent: error\nid: r1:1\ndata: {}\n\n';
    const out: SseEvent[] = [];
    for (let i = 0; i < text.length; i += 3) out.push(...p.push(text.slice(i, i + 3)));
    expect(out).toEqual([
      { event: 'status', id: 'r1:0', data: '{"stage":"fetching"}' },
      { event: 'message', id: null, data: 'plain' },
      { event: 'error', id: 'r1:1', data: '{}' },
    ]);
  });
});
