import { afterEach, describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatCreditAmount, formatDate, formatDateTime, formatDuration, formatRelativeTime, statusLabel, STATUS_LABELS } from '../lib/format';
import { ApiError, errorMessage, fieldErrorMessage, parseErrorResponse } from '../transport/errors';
import { activeLocale, i18n, matchLocale, t } from './index';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('locale detection', () => {
  it('reads any Chinese as Simplified Chinese and anything else as English', () => {
    expect(matchLocale(['zh-CN'])).toBe('zh-CN');
    expect(matchLocale(['zh'])).toBe('zh-CN');
    expect(matchLocale(['zh-Hans-CN', 'en-US'])).toBe('zh-CN');
    expect(matchLocale(['zh-TW'])).toBe('zh-CN');
    expect(matchLocale(['en-US'])).toBe('en');
    expect(matchLocale(['en-GB', 'zh-CN'])).toBe('en'); // the first supported language wins
    expect(matchLocale(['fr-FR', 'zh-CN'])).toBe('zh-CN');
    expect(matchLocale(['fr-FR'])).toBe('en');
    expect(matchLocale([])).toBe('en');
  });

  it('starts in English where there is no browser language (node)', () => {
    expect(activeLocale()).toBe('en');
  });
});

describe('formatting follows the active language', () => {
  const iso = '2025-03-04T14:05:00Z';

  it('formats dates and times per locale', () => {
    expect(formatDateTime(iso, 'zh-CN')).toMatch(/^2025年3月4日 \d{2}:05$/);
    expect(formatDateTime(iso, 'en')).toMatch(/^Mar 4, 2025, \d{1,2}:05\s?[AP]M$/);
    expect(formatDate(iso, 'zh-CN')).toBe('2025年3月4日');
  });

  it('reads the active language by default', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(activeLocale()).toBe('zh-CN');
    expect(formatDateTime(iso)).toMatch(/^2025年3月4日/);
    const now = new Date('2025-03-04T14:05:30Z');
    expect(formatRelativeTime(iso, now)).toBe('刚刚');
    expect(formatRelativeTime('2025-03-04T12:05:00Z', now)).toBe('2小时前');
    expect(formatRelativeTime('2025-03-03T14:05:00Z', now)).toBe('昨天');
    expect(formatDuration(8)).toBe('8秒');
    expect(formatDuration(2.5)).toBe('2.5秒');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatCount('project', 12)).toBe('12 个项目');
    expect(formatCount('project', 12345)).toBe('12,345 个项目');
    expect(statusLabel('in_progress')).toBe('进行中');
    expect(STATUS_LABELS.draft).toBe('草稿');
    expect(formatCreditAmount(-12345)).toBe('−12,345');
  });

  it('keeps the English forms', () => {
    expect(formatDuration(8)).toBe('8s');
    expect(formatCount('project', 1)).toBe('1 project');
    expect(formatCount('project', 1200)).toBe('1,200 projects');
    expect(STATUS_LABELS.completed).toBe('Completed');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatRelativeTime('2025-03-04T12:05:00Z', new Date('2025-03-04T14:05:30Z'))).toBe('2 hours ago');
  });
});

describe('API errors shown in the UI', () => {
  const conflict = () =>
    parseErrorResponse(409, JSON.stringify({ detail: 'a character named Lin already exists', error_code: 'CONFLICT', retryable: false }));
  const validation = () =>
    parseErrorResponse(
      422,
      JSON.stringify({ detail: 'name must not be empty', error_code: 'VALIDATION_ERROR', retryable: false, field: 'name' }),
    );

  it('English shows the server’s own detail', () => {
    expect(errorMessage(conflict())).toBe('a character named Lin already exists');
    expect(errorMessage(validation())).toBe('name must not be empty');
  });

  it('Chinese shows the catalogue’s message for the code, naming the field', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(errorMessage(conflict())).toBe('与已有内容冲突');
    expect(errorMessage(validation())).toBe('名称：输入内容无效');
    expect(fieldErrorMessage(validation())).toBe('输入内容无效');
    expect(errorMessage(new ApiError(0, { detail: 'Cannot reach', error_code: 'NETWORK_ERROR', retryable: true }))).toBe(
      '无法连接到 Storyloom 服务器',
    );
  });

  it('falls back to the server message for a code the catalogue does not know', async () => {
    await i18n.changeLanguage('zh-CN');
    const odd = new ApiError(418, { detail: 'I am a teapot', error_code: 'HTTP_418', retryable: false });
    expect(errorMessage(odd)).toBe('I am a teapot');
    expect(errorMessage('thrown string')).toBe(t('errors.unknown'));
    expect(errorMessage('thrown string')).toBe('出了点问题');
  });

  it('has a message for every code the server sends (src/error.rs)', () => {
    const source = Object.values(
      import.meta.glob('../../../src/error.rs', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
    )[0];
    const variants = /pub enum ErrorCode \{([^}]*)\}/.exec(source ?? '')?.[1] ?? '';
    const codes = [...variants.matchAll(/^\s*(\w+),/gm)].map((m) => m[1]!.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase());
    expect(codes).toContain('VALIDATION_ERROR');
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect(i18n.exists(`errors.code.${code}`), code).toBe(true);
  });
});
