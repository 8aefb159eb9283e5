import { afterEach, describe, expect, it } from 'vitest';
import type { Export } from '../api/types';
import { i18n } from '../i18n';
import {
  canCancelExport,
  costText,
  etaSeconds,
  exportFileName,
  exportStatusLabel,
  formatEncodeTime,
  isExportFinished,
  isPlayable,
  newerExport,
  newestFirst,
  progressPercent,
  progressText,
  quotaText,
  secondsLeft,
  storyboardSheetFileName,
} from './exportStatus';

const NOW = new Date('2026-02-01T10:00:00Z');

function exp(over: Partial<Export> = {}): Export {
  return {
    id: 'e1',
    export_id: 'e1',
    project_id: 'p1',
    project_name: '午夜告白',
    status: 'processing',
    progress: 0.5,
    message: null,
    error: null,
    resolution: '720p',
    aspect_ratio: '9:16',
    format: 'mp4',
    video_url: null,
    created_at: '2026-02-01T09:59:00Z',
    started_at: null,
    estimated_completion: null,
    ...over,
  } as Export;
}

describe('status', () => {
  it('labels every status and passes unknown ones through', () => {
    expect(['queued', 'processing', 'completed', 'failed', 'cancelled'].map(exportStatusLabel)).toEqual([
      'Queued',
      'Exporting',
      'Completed',
      'Failed',
      'Cancelled',
    ]);
    expect(exportStatusLabel('paused')).toBe('paused');
  });

  it('knows which statuses are finished and which can be cancelled', () => {
    expect(['completed', 'failed', 'cancelled'].every(isExportFinished)).toBe(true);
    expect(['queued', 'processing'].some(isExportFinished)).toBe(false);
    expect(['queued', 'processing'].every(canCancelExport)).toBe(true);
    expect(['completed', 'failed', 'cancelled'].some(canCancelExport)).toBe(false);
  });

  it('only a completed export with a video is playable', () => {
    expect(isPlayable(exp({ status: 'completed', video_url: '/api/v1/assets/a/download' }))).toBe(true);
    expect(isPlayable(exp({ status: 'completed', video_url: null }))).toBe(false);
    expect(isPlayable(exp({ status: 'processing', video_url: '/x' }))).toBe(false);
  });
});

describe('progress', () => {
  it('rounds and clamps to a percentage', () => {
    expect(progressPercent(0.424)).toBe(42);
    expect(progressPercent(1.7)).toBe(100);
    expect(progressPercent(-1)).toBe(0);
    expect(progressPercent(Number.NaN)).toBe(0);
    expect(progressPercent(null)).toBe(0);
  });

  it('counts whole seconds to the estimated completion, null when past or unknown', () => {
    expect(secondsLeft('2026-02-01T10:00:07.200Z', NOW)).toBe(8);
    expect(secondsLeft('2026-02-01T09:59:59Z', NOW)).toBeNull();
    expect(secondsLeft(null, NOW)).toBeNull();
    expect(secondsLeft('soon', NOW)).toBeNull();
  });

  it('describes a processing export with percent, ffmpeg’s message and the time left', () => {
    expect(
      progressText(exp({ progress: 0.42, message: 'encoding frame 120/300', estimated_completion: '2026-02-01T10:00:08Z' }), NOW),
    ).toBe('42% · encoding frame 120/300 · about 8 s left');
    expect(progressText(exp({ progress: 0.1 }), NOW)).toBe('10%');
  });

  it('estimates the time left from the measured rate once under way, else from the server', () => {
    // 25% in 30 s: 90 s to go, whatever the server guessed before ffmpeg started.
    const under = exp({ progress: 0.25, started_at: '2026-02-01T09:59:30Z', estimated_completion: '2026-02-01T10:00:05Z' });
    expect(etaSeconds(under, NOW)).toBe(90);
    expect(progressText({ ...under, message: 'encoding frame 10 of 40' }, NOW)).toBe('25% · encoding frame 10 of 40 · about 2 min left');
    // Too early to measure: the server's estimate.
    expect(etaSeconds(exp({ progress: 0.01, started_at: '2026-02-01T09:59:59Z', estimated_completion: '2026-02-01T10:00:20Z' }), NOW)).toBe(20);
    // Nothing known.
    expect(etaSeconds(exp({ progress: 0.5, started_at: null, estimated_completion: null }), NOW)).toBeNull();
    expect(etaSeconds(exp({ progress: 0.5, started_at: 'garbage' }), NOW)).toBeNull();
  });

  it('describes the other statuses, with the error of a failed one', () => {
    expect(progressText(exp({ status: 'queued' }), NOW)).toBe('Queued');
    expect(progressText(exp({ status: 'queued', message: 'waiting for ffmpeg' }), NOW)).toBe('Queued · waiting for ffmpeg');
    expect(progressText(exp({ status: 'completed', progress: 1 }), NOW)).toBe('Completed');
    expect(progressText(exp({ status: 'cancelled' }), NOW)).toBe('Cancelled');
    expect(progressText(exp({ status: 'failed', error: 'ffmpeg exited with 1', message: 'x' }), NOW)).toBe('Failed: ffmpeg exited with 1');
    expect(progressText(exp({ status: 'failed', error: null, message: 'disk full' }), NOW)).toBe('Failed: disk full');
  });

  it('formats encode times', () => {
    expect(formatEncodeTime(0.4)).toBe('under a second');
    expect(formatEncodeTime(12)).toBe('about 12 s');
    expect(formatEncodeTime(89)).toBe('about 89 s');
    expect(formatEncodeTime(150)).toBe('about 3 min');
    expect(formatEncodeTime(-1)).toBe('–');
  });
});

describe('estimate text', () => {
  it('calls 0 credits free', () => {
    expect(costText(0)).toBe('free');
    expect(costText(1)).toBe('1 credit');
    expect(costText(12)).toBe('12 credits');
  });

  it('explains the budget', () => {
    expect(quotaText({ user_quota_remaining: null, sufficient_quota: true, estimated_cost: 0 })).toBe('No budget set');
    expect(quotaText({ user_quota_remaining: 40, sufficient_quota: true, estimated_cost: 5 })).toBe('40 credits left');
    expect(quotaText({ user_quota_remaining: 3, sufficient_quota: false, estimated_cost: 5 })).toBe(
      'Not enough credits: 3 credits left, 5 credits needed',
    );
  });
});

describe('in Chinese', () => {
  afterEach(async () => {
    await i18n.changeLanguage('en');
  });

  it('labels, progress and the estimate read the active language', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(exportStatusLabel('processing')).toBe('导出中');
    expect(progressText(exp({ status: 'queued' }), NOW)).toBe('排队中');
    expect(
      progressText(exp({ progress: 0.42, message: 'encoding frame 120/300', estimated_completion: '2026-02-01T10:00:08Z' }), NOW),
    ).toBe('42% · encoding frame 120/300 · 还需约 8 秒');
    expect(progressText(exp({ status: 'failed', error: null, message: '' }), NOW)).toBe('失败：导出未完成');
    expect(formatEncodeTime(150)).toBe('约 3 分钟');
    expect(costText(0)).toBe('免费');
    expect(costText(1200)).toBe('1,200 积分');
    expect(quotaText({ user_quota_remaining: 3, sufficient_quota: false, estimated_cost: 5 })).toBe('积分不足：剩余 3 积分，需要 5 积分');
  });
});

describe('file names', () => {
  it('names the video and the subtitles after the project and the preset', () => {
    expect(exportFileName(exp(), 'video')).toBe('午夜告白-720p-9x16.mp4');
    expect(exportFileName(exp({ format: 'webm', aspect_ratio: '16:9', resolution: '1080p' }), 'subtitles')).toBe('午夜告白-1080p-16x9.srt');
  });

  it('removes characters file systems reject and falls back for an empty name', () => {
    expect(exportFileName(exp({ project_name: ' A/B: "Pilot" ep?1 ' }), 'video')).toBe('A-B-Pilot-ep-1-720p-9x16.mp4');
    expect(exportFileName(exp({ project_name: '' }), 'video')).toBe('storyloom-720p-9x16.mp4');
    expect(storyboardSheetFileName('My Drama', 3)).toBe('My-Drama-storyboard-v3.pdf');
    expect(storyboardSheetFileName('My Drama')).toBe('My-Drama-storyboard.pdf');
  });
});

describe('history order and snapshots', () => {
  it('sorts newest first, ties by id', () => {
    const items = [
      exp({ id: 'a', created_at: '2026-01-01T00:00:00Z' }),
      exp({ id: 'c', created_at: '2026-01-03T00:00:00Z' }),
      exp({ id: 'b', created_at: '2026-01-03T00:00:00Z' }),
    ];
    expect(newestFirst(items).map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect(items.map((e) => e.id)).toEqual(['a', 'c', 'b']); // not sorted in place
  });

  it('a late poll does not undo a cancel or a completion', () => {
    const cancelled = exp({ status: 'cancelled', progress: 0.3 });
    expect(newerExport(cancelled, exp({ status: 'processing', progress: 0.3 }))).toBe(cancelled);
    const done = exp({ status: 'completed', progress: 1 });
    expect(newerExport(done, exp({ status: 'queued' }))).toBe(done);
    expect(newerExport(done, exp({ status: 'failed' }))).toBe(done);
  });

  it('moves forward, never backwards on the bar', () => {
    const at40 = exp({ progress: 0.4, message: 'a' });
    expect(newerExport(at40, exp({ progress: 0.6, message: 'b' }))).toMatchObject({ progress: 0.6, message: 'b' });
    expect(newerExport(at40, exp({ progress: 0.2, message: 'c' }))).toMatchObject({ progress: 0.4, message: 'c' });
    expect(newerExport(exp({ status: 'queued' }), exp({ status: 'processing', progress: 0.1 })).status).toBe('processing');
    expect(newerExport(at40, exp({ status: 'completed', progress: 1 })).status).toBe('completed');
  });

  it('takes another export as it is', () => {
    const other = exp({ id: 'e2', status: 'queued' });
    expect(newerExport(exp({ status: 'completed' }), other)).toBe(other);
    expect(newerExport(null, other)).toBe(other);
  });
});
