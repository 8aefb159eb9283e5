/**
 * The export dialog's settings form: defaults, the request body it sends to
 * `POST /export/estimate` and `POST /export` (docs/API-EXPORT.md), the pixel size a preset gives,
 * and which form field a server validation error belongs to.
 */
import {
  ASPECT_RATIOS,
  type AspectRatio,
  type ExportFormat,
  type ExportFps,
  type ExportRequest,
  type ExportResolution,
  type ExportSubtitles,
  type ExportTransition,
} from '../api/types';
import { formFieldFor } from './validation';

export interface ExportSettings {
  resolution: ExportResolution;
  aspect_ratio: AspectRatio;
  fps: ExportFps;
  format: ExportFormat;
  subtitles: ExportSubtitles;
  transition: ExportTransition;
  motion: boolean;
  /** An uploaded `audio` asset looped under the video, or null for none. */
  music_asset_id: string | null;
  /** The review's working marks on the frames (shot number, slug, corner marks). */
  overlays: boolean;
  /** The speaker's name before each subtitle. */
  speaker_names: boolean;
}

/** The server's defaults, with the project's aspect ratio (what a plain export would give). */
export function defaultExportSettings(projectAspect: string | null | undefined): ExportSettings {
  const aspect = (ASPECT_RATIOS as readonly string[]).includes(projectAspect ?? '') ? (projectAspect as AspectRatio) : '9:16';
  return {
    resolution: '1080p',
    aspect_ratio: aspect,
    fps: 30,
    format: 'mp4',
    subtitles: 'soft',
    transition: 'cut',
    motion: true,
    music_asset_id: null,
    overlays: false,
    speaker_names: false,
  };
}

export interface ExportTarget {
  projectId: string;
  versionId?: string | null;
  /** A completed run; absent = the version's latest completed run. */
  runId?: string | null;
}

/**
 * The JSON body for the estimate and the start: every setting spelled out (so the estimate is for
 * exactly what Start will make), `include_subtitles` as the explicit string, no music key when
 * there is none, and no version/run key when the server's default is wanted.
 */
export function exportRequestBody(settings: ExportSettings, target: ExportTarget): ExportRequest {
  const body: ExportRequest = { project_id: target.projectId };
  if (target.versionId) body.version_id = target.versionId;
  if (target.runId) body.run_id = target.runId;
  body.resolution = settings.resolution;
  body.aspect_ratio = settings.aspect_ratio;
  body.fps = settings.fps;
  body.format = settings.format;
  body.include_subtitles = settings.subtitles;
  body.transition = settings.transition;
  body.motion = settings.motion;
  body.overlays = settings.overlays;
  body.speaker_names = settings.speaker_names;
  if (settings.music_asset_id) body.music_asset_id = settings.music_asset_id;
  return body;
}

/** Equal for two bodies that ask for the same export (the estimate is refetched only when it changes). */
export function requestKey(body: ExportRequest): string {
  const keys = Object.keys(body).sort() as (keyof ExportRequest)[];
  return JSON.stringify(keys.map((k) => [k, body[k]]));
}

/**
 * Pixel size of a preset: the short side is the preset's number, the long side the 16:9 length
 * rounded to an even number (encoders want even sizes): 480p 9:16 = 480×854, 1080p 16:9 = 1920×1080.
 */
export function pixelSize(resolution: ExportResolution, aspect: AspectRatio): { width: number; height: number } {
  const short = Number.parseInt(resolution, 10);
  const long = Math.round((short * 16) / 9 / 2) * 2;
  if (aspect === '1:1') return { width: short, height: short };
  return aspect === '9:16' ? { width: short, height: long } : { width: long, height: short };
}

/** The form fields, named as the API names them (so a 422's `field` maps one to one). */
export const EXPORT_FORM_FIELDS = [
  'resolution',
  'aspect_ratio',
  'fps',
  'format',
  'include_subtitles',
  'transition',
  'motion',
  'music_asset_id',
  'overlays',
  'speaker_names',
] as const;
export type ExportFormField = (typeof EXPORT_FORM_FIELDS)[number];

/**
 * The form field a server error names, or null when it is about something else (a shot with no
 * frame, `shots[3].image`: shown above the form, its message names the shot).
 */
export function exportFieldFor(field: string | undefined): ExportFormField | null {
  if (!field || /^shots\[/.test(field)) return null;
  return formFieldFor(field, EXPORT_FORM_FIELDS) as ExportFormField | null;
}
