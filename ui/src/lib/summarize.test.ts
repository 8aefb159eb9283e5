import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BATCH_URLS } from '../api/summarize';
import { i18n } from '../i18n';
import { BEAT_KIND_LABELS, batchUrlMessage, beatKeyCommand, checkBatchUrls, formatClock, formatSpan, isHttpUrl, moveIndex, stageLabel } from './summarize';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://v.example/${i + 1}.mp4`).join('\n');

describe('checkBatchUrls', () => {
  it('takes 1 to 20 addresses, one a line, skipping blank lines and spaces', () => {
    expect(checkBatchUrls(' https://a.example/1 \n\n http://b.example/2\r\n')).toEqual({ ok: true, urls: ['https://a.example/1', 'http://b.example/2'] });
    expect(checkBatchUrls(urls(MAX_BATCH_URLS))).toMatchObject({ ok: true });
  });

  it('refuses more than 20 before anything is sent, saying how many there are', () => {
    const check = checkBatchUrls(urls(21));
    expect(check).toEqual({ ok: false, reason: 'too-many', count: 21 });
    expect(batchUrlMessage(check)).toBe('A batch takes at most 20 addresses; this has 21. Remove some or split them.');
    // Blank lines do not count.
    expect(checkBatchUrls(`${urls(20)}\n\n\n`)).toMatchObject({ ok: true });
  });

  it('refuses an empty list and a line that is not an http(s) address', () => {
    expect(checkBatchUrls(' \n ')).toEqual({ ok: false, reason: 'empty' });
    const bad = checkBatchUrls('https://a.example/1\nftp://b.example/2');
    expect(bad).toEqual({ ok: false, reason: 'invalid', line: 2, url: 'ftp://b.example/2' });
    expect(batchUrlMessage(bad)).toBe('Line 2 is not an http(s) address: ftp://b.example/2');
    expect(batchUrlMessage({ ok: true, urls: [] })).toBeNull();
  });

  it('says it in Chinese too', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(batchUrlMessage(checkBatchUrls(urls(25)))).toBe('一次批量最多 20 个链接，当前有 25 个。请删减或分批提交。');
  });

  it('knows an http(s) address', () => {
    expect(isHttpUrl('https://www.douyin.com/video/1')).toBe(true);
    expect(isHttpUrl('www.example.com')).toBe(false);
    expect(isHttpUrl('javascript:alert(1)')).toBe(false);
  });
});

describe('times and labels', () => {
  it('formats milliseconds as mm:ss, and spans as mm:ss–mm:ss', () => {
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(2_999)).toBe('00:02');
    expect(formatClock(754_000)).toBe('12:34');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatSpan(3_000, 65_500)).toBe('00:03–01:05');
  });

  it('names beat kinds and stages in the UI’s language', async () => {
    expect(BEAT_KIND_LABELS.cliffhanger).toBe('Cliffhanger');
    expect(stageLabel('transcribing', 'x')).toBe('Transcribing the speech');
    expect(stageLabel('warming_up', 'Warming up')).toBe('Warming up');
    await i18n.changeLanguage('zh-CN');
    expect(BEAT_KIND_LABELS.reversal).toBe('反转');
  });
});

describe('beat list keys', () => {
  const key = (k: string, over: Record<string, unknown> = {}) => ({ key: k, target: null, ctrlKey: false, metaKey: false, altKey: false, ...over });

  it('j / ↓ go to the next beat, k / ↑ to the previous, as in the review queue', () => {
    expect(beatKeyCommand(key('j'))).toBe('next');
    expect(beatKeyCommand(key('J'))).toBe('next');
    expect(beatKeyCommand(key('ArrowDown'))).toBe('next');
    expect(beatKeyCommand(key('k'))).toBe('prev');
    expect(beatKeyCommand(key('ArrowUp'))).toBe('prev');
    expect(beatKeyCommand(key('x'))).toBeNull();
  });

  it('leaves typing and modified keys alone', () => {
    expect(beatKeyCommand(key('j', { target: { tagName: 'INPUT', type: 'text' } }))).toBeNull();
    expect(beatKeyCommand(key('j', { target: { tagName: 'DIV', isContentEditable: true } }))).toBeNull();
    expect(beatKeyCommand(key('j', { ctrlKey: true }))).toBeNull();
    expect(beatKeyCommand(key('k', { defaultPrevented: true }))).toBeNull();
  });

  it('moves within the list and stops at its ends', () => {
    expect(moveIndex(0, 'next', 3)).toBe(1);
    expect(moveIndex(2, 'next', 3)).toBe(2);
    expect(moveIndex(0, 'prev', 3)).toBe(0);
    expect(moveIndex(-1, 'prev', 3)).toBe(2);
    expect(moveIndex(0, 'next', 0)).toBe(-1);
  });
});
