import { describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { formatBytes, LARGE_SCRIPT_CHARS, SCRIPT_MAX_BYTES, scriptSize, tooLargeMessage, utf8Length } from './script';

describe('script size', () => {
  it('counts UTF-8 bytes like the server does', () => {
    for (const s of ['', 'INT. CAFE - DAY', '林雪：好久不见。', 'é', '🎬 take 2', '\ud800 lone surrogate']) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  it('treats an ordinary script as normal', () => {
    expect(scriptSize('场景1：咖啡馆 日 内\n△林雪推门而入。\n'.repeat(1000))).toEqual({ kind: 'normal' });
  });

  it('warns before parsing a large script and names its size', () => {
    const text = 'a'.repeat(LARGE_SCRIPT_CHARS);
    expect(scriptSize(text)).toEqual({ kind: 'large', chars: LARGE_SCRIPT_CHARS, bytes: LARGE_SCRIPT_CHARS });
    // A 2 MB paste (the case from issue 14) is large, not refused.
    const paste = '林雪：我回来了。\n'.repeat(Math.ceil((2 * 1000 * 1000) / 25));
    expect(scriptSize(paste).kind).toBe('large');
  });

  it('refuses a script over the server limit, counting bytes not characters', () => {
    // Under the limit in characters, over it in bytes (3 bytes a Chinese character).
    const chinese = '林'.repeat(Math.floor(SCRIPT_MAX_BYTES / 3) + 1);
    expect(chinese.length).toBeLessThan(SCRIPT_MAX_BYTES);
    const size = scriptSize(chinese);
    expect(size).toMatchObject({ kind: 'too-large', bytes: chinese.length * 3 });
    expect(scriptSize('a'.repeat(SCRIPT_MAX_BYTES)).kind).toBe('large');
    expect(scriptSize('a'.repeat(SCRIPT_MAX_BYTES + 1)).kind).toBe('too-large');
  });

  it('says the limit in the message, in the active language', async () => {
    expect(formatBytes(SCRIPT_MAX_BYTES)).toBe('4.0 MiB');
    expect(tooLargeMessage(5 * 1024 * 1024)).toContain('over the 4.0 MiB limit');
    await i18n.changeLanguage('zh-CN');
    try {
      expect(tooLargeMessage(5 * 1024 * 1024)).toBe('剧本有 5.0 MiB，超过了 4.0 MiB 的上限。请删减（或拆分到多个版本）后再保存。');
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
