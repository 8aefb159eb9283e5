// Every CSS custom property the styles read is defined somewhere: an undefined one silently falls
// back (the Credits cards were white on white because `--panel` existed nowhere).
import { describe, expect, it } from 'vitest';

const css = import.meta.glob('./**/*.css', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
// Properties may also be set inline from components (style={{ '--x': … }}).
const code = import.meta.glob('./**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

describe('CSS custom properties', () => {
  it('every var(--name) read by a stylesheet is defined', () => {
    expect(Object.keys(css).length).toBeGreaterThan(1);
    for (const [file, text] of Object.entries(css)) expect(text.length, `${file} was read`).toBeGreaterThan(20);
    const defined = new Set<string>();
    for (const text of Object.values(css)) for (const m of text.matchAll(/(--[a-z0-9-]+)\s*:/g)) defined.add(m[1]);
    for (const text of Object.values(code)) for (const m of text.matchAll(/['"](--[a-z0-9-]+)['"]\s*:/g)) defined.add(m[1]);
    const missing: string[] = [];
    for (const [file, text] of Object.entries(css)) {
      for (const m of text.matchAll(/var\((--[a-z0-9-]+)/g)) {
        if (!defined.has(m[1])) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
