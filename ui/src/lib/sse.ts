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

export function createSseParser(): SseParser {
  let buffer = '';
  let data: string[] = [];

  function line(l: string, out: string[]) {
    if (l === '') {
      if (data.length) out.push(data.join('\n'));
      data = [];
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    if (field !== 'data') return;
    const value = colon < 0 ? '' : l.slice(colon + 1);
    data.push(value.startsWith(' ') ? value.slice(1) : value);
  }

  return {
    push(text) {
      buffer += text;
      const out: string[] = [];
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
