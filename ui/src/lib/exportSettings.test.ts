import { describe, expect, it } from 'vitest';
import { defaultExportSettings, exportFieldFor, exportRequestBody, pixelSize, requestKey } from './exportSettings';

describe('defaultExportSettings', () => {
  it('is the server’s defaults with the project’s aspect ratio', () => {
    expect(defaultExportSettings('16:9')).toEqual({
      resolution: '1080p',
      aspect_ratio: '16:9',
      fps: 30,
      format: 'mp4',
      subtitles: 'soft',
      transition: 'cut',
      motion: true,
      music_asset_id: null,
      // Issue 14: clean frames and nameless subtitles unless asked.
      overlays: false,
      speaker_names: false,
    });
    expect(defaultExportSettings('1:1').aspect_ratio).toBe('1:1');
  });

  it('falls back to vertical for a missing or unknown aspect ratio', () => {
    expect(defaultExportSettings(null).aspect_ratio).toBe('9:16');
    expect(defaultExportSettings('4:3').aspect_ratio).toBe('9:16');
  });
});

describe('exportRequestBody', () => {
  const base = { ...defaultExportSettings('9:16'), resolution: '720p' as const };

  it('spells out every setting, with subtitles as the explicit string and fps as a number', () => {
    expect(exportRequestBody(base, { projectId: 'p1', versionId: 'v1' })).toEqual({
      project_id: 'p1',
      version_id: 'v1',
      resolution: '720p',
      aspect_ratio: '9:16',
      fps: 30,
      format: 'mp4',
      include_subtitles: 'soft',
      transition: 'cut',
      motion: true,
      overlays: false,
      speaker_names: false,
    });
  });

  it('sends the overlay and speaker-name options when asked', () => {
    const body = exportRequestBody({ ...base, overlays: true, speaker_names: true }, { projectId: 'p1' });
    expect(body).toMatchObject({ overlays: true, speaker_names: true });
    expect(requestKey(body)).not.toBe(requestKey(exportRequestBody(base, { projectId: 'p1' })));
  });

  it('sends burn/none, the music and the run only when set', () => {
    const body = exportRequestBody(
      { ...base, subtitles: 'burn', motion: false, transition: 'crossfade', format: 'webm', fps: 24, music_asset_id: 'm1' },
      { projectId: 'p1', versionId: 'v1', runId: 'r9' },
    );
    expect(body).toMatchObject({
      run_id: 'r9',
      include_subtitles: 'burn',
      motion: false,
      transition: 'crossfade',
      format: 'webm',
      fps: 24,
      music_asset_id: 'm1',
    });
    expect(exportRequestBody({ ...base, subtitles: 'none' }, { projectId: 'p1' }).include_subtitles).toBe('none');
  });

  it('leaves version, run and music out for the server’s defaults', () => {
    const body = exportRequestBody(base, { projectId: 'p1', versionId: null, runId: null });
    expect(Object.keys(body)).not.toContain('version_id');
    expect(Object.keys(body)).not.toContain('run_id');
    expect(Object.keys(body)).not.toContain('music_asset_id');
  });
});

describe('requestKey', () => {
  it('ignores key order and changes with any value', () => {
    const a = exportRequestBody(defaultExportSettings('9:16'), { projectId: 'p1', versionId: 'v1' });
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    expect(requestKey(reordered)).toBe(requestKey(a));
    expect(requestKey({ ...a, fps: 25 })).not.toBe(requestKey(a));
    expect(requestKey({ ...a, motion: false })).not.toBe(requestKey(a));
  });
});

describe('pixelSize', () => {
  it('matches the contract’s table (short side = the number, even long side)', () => {
    expect(pixelSize('480p', '9:16')).toEqual({ width: 480, height: 854 });
    expect(pixelSize('480p', '16:9')).toEqual({ width: 854, height: 480 });
    expect(pixelSize('480p', '1:1')).toEqual({ width: 480, height: 480 });
    expect(pixelSize('720p', '9:16')).toEqual({ width: 720, height: 1280 });
    expect(pixelSize('1080p', '9:16')).toEqual({ width: 1080, height: 1920 });
    expect(pixelSize('1080p', '16:9')).toEqual({ width: 1920, height: 1080 });
    expect(pixelSize('2160p', '9:16')).toEqual({ width: 2160, height: 3840 });
  });
});

describe('exportFieldFor', () => {
  it('maps the API’s setting names to the form fields', () => {
    expect(exportFieldFor('resolution')).toBe('resolution');
    expect(exportFieldFor('include_subtitles')).toBe('include_subtitles');
    expect(exportFieldFor('body.music_asset_id')).toBe('music_asset_id');
    expect(exportFieldFor('/fps')).toBe('fps');
  });

  it('keeps shot problems and unknown fields off the form', () => {
    expect(exportFieldFor('shots[3].image')).toBeNull();
    expect(exportFieldFor('shots[3].duration')).toBeNull();
    expect(exportFieldFor('project_id')).toBeNull();
    expect(exportFieldFor(undefined)).toBeNull();
    expect(exportFieldFor('')).toBeNull();
  });
});
