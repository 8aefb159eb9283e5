/**
 * Server-sent events read a piece at a time (fetch + ReadableStream; EventSource can neither POST
 * nor send the bearer token). `push` takes the next decoded text and returns the `data` of every
 * event it completed. As the SSE spec says: an event ends at a blank line, its `data:` lines are
 * joined with "\n", one space after the colon is dropped, comments (`: keep-alive`) and other
 * fields are ignored, and lines end in LF, CRLF or CR, which a chunk may split.
 */
export interface SseParser {
  push(text: string): string[];
}

/** One event as `createSseEventParser` completes it. */
export interface SseEvent {
  /** The `event:` field ("message" when there was none). */
  event: string;
  /** The `data:` lines, joined with "\n". */
  data: string;
  /** The `id:` field of this event, or null when it had none. */
  id: string | null;
}

/** Like `SseParser`, but keeping each event's name and id (streams that resume by `Last-Event-ID`). */
export interface SseEventParser {
  push(text: string): SseEvent[];
}

export function createSseEventParser(): SseEventParser {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | null = null;

  function line(l: string, out: SseEvent[]) {
    if (l === '') {
      if (data.length) out.push({ event: event || 'message', data: data.join('\n'), id });
      data = [];
      event = '';
      id = null;
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    // The spec ignores an id holding a NUL.
    else if (field === 'id' && !value.includes('\0')) id = value;
  }

  return {
    push(text) {
      buffer += text;
      const out: SseEvent[] = [];
      for (;;) {
        const at = buffer.search(/[\r\n]/);
        if (at < 0) break;
        // A CR at the end may be the first half of a CRLF: wait for the next piece.
        if (buffer[at] === '\r' && at === buffer.length - 1) break;
        const width = buffer[at] === '\r' && buffer[at + 1] === '\n' ? 2 : 1;
        line(buffer.slice(0, at), out);
        buffer = buffer.slice(at + width);
      }
      return out;
    },
  };
}

export function createSseParser(): SseParser {
  const events = createSseEventParser();
  return { push: (text) => events.push(text).map((e) => e.data) };
}
