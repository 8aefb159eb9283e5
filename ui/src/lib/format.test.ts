import { describe, expect, it } from 'vitest';
import { formatCount, formatRelativeTime, pageWindow, statusLabel } from './format';

const NOW = new Date('2025-03-10T12:00:00Z');
const ago = (secs: number) => new Date(NOW.getTime() - secs * 1000).toISOString();

describe('formatRelativeTime', () => {
  it('says "just now" for the last 45 seconds and for small clock skew', () => {
    expect(formatRelativeTime(ago(0), NOW)).toBe('just now');
    expect(formatRelativeTime(ago(44), NOW)).toBe('just now');
    expect(formatRelativeTime(ago(-30), NOW)).toBe('just now');
  });

  it('uses the largest whole unit', () => {
    expect(formatRelativeTime(ago(50), NOW)).toBe('1 minute ago');
    expect(formatRelativeTime(ago(5 * 60), NOW)).toBe('5 minutes ago');
    expect(formatRelativeTime(ago(2 * 3600 + 59 * 60), NOW)).toBe('2 hours ago');
    expect(formatRelativeTime(ago(24 * 3600), NOW)).toBe('yesterday');
    expect(formatRelativeTime(ago(3 * 24 * 3600), NOW)).toBe('3 days ago');
    expect(formatRelativeTime(ago(14 * 24 * 3600), NOW)).toBe('2 weeks ago');
    expect(formatRelativeTime(ago(65 * 24 * 3600), NOW)).toBe('2 months ago');
    expect(formatRelativeTime(ago(400 * 24 * 3600), NOW)).toBe('last year');
  });

  it('reads RFC 3339 times with offsets and fractions', () => {
    expect(formatRelativeTime('2025-03-10T13:55:00.123456+02:00', NOW)).toBe('5 minutes ago');
  });

  it('returns "" for an unreadable time', () => {
    expect(formatRelativeTime('not a date', NOW)).toBe('');
  });
});

describe('formatCount / statusLabel', () => {
  it('pluralizes through the catalogue', () => {
    expect(formatCount('project', 0)).toBe('0 projects');
    expect(formatCount('project', 1)).toBe('1 project');
    expect(formatCount('voicedLine', 2)).toBe('2 voiced lines');
  });

  it('labels statuses and passes unknown ones through', () => {
    expect(statusLabel('in_progress')).toBe('In progress');
    expect(statusLabel('archived')).toBe('archived');
  });
});

describe('pageWindow', () => {
  it('lists every page when there are few', () => {
    expect(pageWindow(1, 0)).toEqual([]);
    expect(pageWindow(1, 1)).toEqual([1]);
    expect(pageWindow(2, 3)).toEqual([1, 2, 3]);
    expect(pageWindow(1, 4)).toEqual([1, 2, 3, 4]);
  });

  it('puts gaps around the current page', () => {
    expect(pageWindow(5, 10)).toEqual([1, null, 4, 5, 6, null, 10]);
    expect(pageWindow(1, 10)).toEqual([1, 2, null, 10]);
    expect(pageWindow(10, 10)).toEqual([1, null, 9, 10]);
  });

  it('shows a page instead of a gap of exactly one', () => {
    expect(pageWindow(4, 10)).toEqual([1, 2, 3, 4, 5, null, 10]);
  });

  it('clamps an out-of-range page', () => {
    expect(pageWindow(99, 5)).toEqual([1, null, 4, 5]);
  });
});

describe('formatDuration / formatBytes / humanize', () => {
  it('formats durations', async () => {
    const { formatDuration } = await import('./format');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(2.5)).toBe('2.5s');
    expect(formatDuration(2.04)).toBe('2s');
    expect(formatDuration(59.96)).toBe('60s');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('–');
    expect(formatDuration(-1)).toBe('–');
  });

  it('formats sizes', async () => {
    const { formatBytes } = await import('./format');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(1434)).toBe('1.4 KB');
    expect(formatBytes(23 * 1024 * 1024)).toBe('23 MB');
    expect(formatBytes(-5)).toBe('–');
  });

  it('humanizes enum values', async () => {
    const { humanize } = await import('./format');
    expect(humanize('close_up')).toBe('Close up');
    expect(humanize('pov')).toBe('POV');
    expect(humanize('zoom_in')).toBe('Zoom in');
  });
});
