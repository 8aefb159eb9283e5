/** Builds a query string from the defined, non-empty values (`?a=1&b=x`, or "" when none). */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `/api/v1/<a>/<b>/…` with every segment URL-encoded. */
export function apiPath(...segments: string[]): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}
