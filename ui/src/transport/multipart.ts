/**
 * A FormData written out as `multipart/form-data` bytes by hand. The desktop needs it: WebKitGTK
 * drops an app:// request whose body holds a File (the page's session dies with it), and cannot
 * read such a FormData back itself (`new Response(form)` fails: "Unable to read form data blob"),
 * while a File's own `arrayBuffer()` works.
 */
export async function encodeMultipart(form: FormData, boundary = newBoundary()): Promise<{ body: Uint8Array<ArrayBuffer>; contentType: string }> {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const [name, value] of form.entries()) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
    if (typeof value === 'string') {
      chunks.push(encoder.encode(`${head}\r\n\r\n`), encoder.encode(value), encoder.encode('\r\n'));
      continue;
    }
    head += `; filename="${escapeName(value.name || 'blob')}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
    chunks.push(encoder.encode(head), new Uint8Array(await value.arrayBuffer()), encoder.encode('\r\n'));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Quotes and line breaks in a field or file name, escaped as the HTML standard's encoder does. */
function escapeName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

function newBoundary(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `----storyloom${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
