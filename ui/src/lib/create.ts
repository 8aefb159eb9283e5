/**
 * The creator tools' plain helpers (api/create.ts has the calls and the stream): the stream's
 * reducer, keywords typed with commas, the form's checks and request body, a tool's localized
 * name and cost, and the creations list's filters. Also the deck, image and video forms (the
 * outline a point a line, checks, request bodies, the fields a refused request names) and a video
 * task's progress.
 */
import {
  BUILTIN_MODEL,
  CREATIONS_PAGE_LIMIT,
  IMAGE_SIZES,
  LIMITS,
  MEDIA_LIMITS,
  TRANSLATION_TOOL,
  VIDEO_WORKFLOWS,
  type CreationKind,
  type CreationsQuery,
  type DeckRequest,
  type Generated,
  type ImageRequest,
  type ImageSize,
  type Tool,
  type VideoRequest,
  type VideoTask,
  type VideoWorkflow,
  type WritingErrorData,
  type WritingRequest,
  type WritingStreamEvent,
} from '../api/create';
import { t, translatedRecord, type Locale } from '../i18n';
import { formatCount } from './format';
import { ApiError, apiErrorMessage } from '../transport/errors';
import { formFieldFor, type FieldErrors } from './validation';

/* ---------- the stream's state ---------- */

/**
 * `sending`: the request is on its way; `streaming`: the text is arriving; then `done`, `error`
 * (an `error` event, or a request refused before the stream), `cancelled` (the person stopped
 * watching) or `lost` (the stream ended early). After `cancelled` and `lost` the server still
 * finishes and saves the text.
 */
export type WritingStatus = 'idle' | 'sending' | 'streaming' | 'done' | 'error' | 'cancelled' | 'lost';

export interface WritingStreamState {
  status: WritingStatus;
  /** The text so far (emptied by a `restart`; the saved content once `done`). */
  text: string;
  creationId: string | null;
  model: string | null;
  /** The credits held for it: the most it may cost. */
  estimate: number | null;
  /** The attempt under way after a `restart` (2, 3…); 1 before any. */
  attempt: number;
  error: WritingErrorData | null;
  result: Generated | null;
}

export const INITIAL_WRITING_STATE: WritingStreamState = {
  status: 'idle',
  text: '',
  creationId: null,
  model: null,
  estimate: null,
  attempt: 1,
  error: null,
  result: null,
};

/** Whether nothing more will change the state (until the next `begin`). */
export function isWritingOver(status: WritingStatus): boolean {
  return status === 'done' || status === 'error' || status === 'cancelled' || status === 'lost';
}

/** Whether a generation is under way (the form waits; Stop watching shows). */
export function isWritingActive(status: WritingStatus): boolean {
  return status === 'sending' || status === 'streaming';
}

/**
 * The stream's state after one more event. `begin` starts afresh and `reset` goes back to idle;
 * `delta` appends, `restart` empties the text (the attempt that wrote it failed), `done` puts the
 * saved content in place of what streamed. Once over, later events change nothing: a late event
 * cannot undo a result.
 */
export function writingStreamReducer(state: WritingStreamState, event: WritingStreamEvent): WritingStreamState {
  if (event.type === 'reset') return INITIAL_WRITING_STATE;
  if (event.type === 'begin') return { ...INITIAL_WRITING_STATE, status: 'sending' };
  if (isWritingOver(state.status)) return state;
  switch (event.type) {
    case 'start':
      return { ...state, status: 'streaming', creationId: event.data.creation_id, model: event.data.model, estimate: event.data.estimate };
    case 'delta':
      return { ...state, status: 'streaming', text: state.text + (event.data.text ?? '') };
    case 'restart':
      return { ...state, status: 'streaming', text: '', attempt: event.data.attempt };
    case 'done':
      return { ...state, status: 'done', text: event.data.content, creationId: event.data.creation_id, result: event.data, error: null };
    case 'error':
      return { ...state, status: 'error', error: event.data };
    case 'failed':
      return { ...state, status: 'error', error: event.error };
    case 'cancelled':
      return { ...state, status: 'cancelled' };
    case 'lost':
      return { ...state, status: 'lost' };
    default:
      return state;
  }
}

/* ---------- keywords ---------- */

/**
 * Keywords as typed: separated by commas (`,` `，` `、`), semicolons or new lines; each trimmed,
 * blanks dropped, repeats (ignoring case) kept once, in the order typed.
 */
export function parseKeywords(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/[,，、;；\r\n]+/)) {
    const k = raw.trim();
    if (!k) continue;
    const key = k.toLocaleLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(k);
  }
  return out;
}

/* ---------- the form ---------- */

export interface WritingForm {
  title: string;
  /** As typed: comma-separated. */
  keywords: string;
  requirements: string;
  /** The text to rewrite or translate (sent only to a tool that `needs_content`). */
  content: string;
  language: string;
}

export const EMPTY_WRITING_FORM: WritingForm = { title: '', keywords: '', requirements: '', content: '', language: '' };

/** The fields a server error may name that the form shows (`model_id`, `project_id`: the form's own error). */
export const WRITING_FIELDS = ['title', 'keywords', 'requirements', 'content', 'language'] as const;
export type WritingField = (typeof WRITING_FIELDS)[number];

function chars(s: string): number {
  return Array.from(s).length;
}

/** The form's problems before anything is sent, as the server counts them (code points). */
export function validateWritingForm(form: WritingForm, tool: Pick<Tool, 'needs_content'>): FieldErrors {
  const errors: FieldErrors = {};
  const title = form.title.trim();
  if (!title) errors.title = t('create.form.titleRequired');
  else if (chars(title) > LIMITS.title) errors.title = t('create.form.tooLong', { max: LIMITS.title });
  const keywords = parseKeywords(form.keywords);
  if (keywords.length > LIMITS.keywords) errors.keywords = t('create.form.tooManyKeywords', { max: LIMITS.keywords });
  else if (keywords.some((k) => chars(k) > LIMITS.keyword)) errors.keywords = t('create.form.keywordTooLong', { max: LIMITS.keyword });
  if (chars(form.requirements.trim()) > LIMITS.requirements) errors.requirements = t('create.form.tooLong', { max: LIMITS.requirements });
  if (tool.needs_content) {
    const content = form.content.trim();
    if (!content) errors.content = t('create.form.contentRequired');
    else if (chars(content) > LIMITS.content) errors.content = t('create.form.tooLong', { max: LIMITS.content });
  }
  if (chars(form.language.trim()) > LIMITS.language) errors.language = t('create.form.tooLong', { max: LIMITS.language });
  return errors;
}

/** The request body for the form: trimmed, empty fields left out, `content` only for a tool that takes it. */
export function writingRequest(form: WritingForm, tool: Pick<Tool, 'needs_content'>, extra: Pick<WritingRequest, 'model_id' | 'project_id'> = {}): WritingRequest {
  const body: WritingRequest = { title: form.title.trim() };
  const keywords = parseKeywords(form.keywords);
  if (keywords.length) body.keywords = keywords;
  const requirements = form.requirements.trim();
  if (requirements) body.requirements = requirements;
  if (tool.needs_content && form.content.trim()) body.content = form.content;
  const language = form.language.trim();
  if (language) body.language = language;
  if (extra.model_id) body.model_id = extra.model_id;
  if (extra.project_id) body.project_id = extra.project_id;
  return body;
}

/** The form field a refused request names (`body.title` → `title`), or null for one the form does not show. */
export function writingFieldOf(error: Pick<WritingErrorData, 'field'> | null | undefined): WritingField | null {
  return formFieldFor(error?.field, WRITING_FIELDS) as WritingField | null;
}

/**
 * A refused request's message by the form field it names (`{ keywords: '…' }`), shown next to the
 * field; nothing for an error about no field the form shows.
 */
export function serverFieldErrors(error: WritingErrorData | null | undefined): FieldErrors {
  const field = writingFieldOf(error);
  if (!error || !field) return {};
  return { [field]: apiErrorMessage({ detail: error.message, error_code: error.code }) };
}

/** The language field's placeholder: the language the server writes in when it is left empty. */
export function languagePlaceholder(toolType: string): string {
  return toolType === TRANSLATION_TOOL ? 'English' : '中文';
}

/* ---------- tools ---------- */

/** The tool's name in the UI's language (the catalogue has a Chinese and an English one). */
export function toolName(tool: Pick<Tool, 'name' | 'name_en'>, locale: Locale): string {
  return locale === 'zh-CN' ? tool.name : tool.name_en || tool.name;
}

export function toolDescription(tool: Pick<Tool, 'description' | 'description_en'>, locale: Locale): string {
  return locale === 'zh-CN' ? tool.description : tool.description_en || tool.description;
}

/** What one generation may cost at most: "≤ 12 credits", or free with the offline writer. */
export function toolCostLabel(tool: Pick<Tool, 'credits_cost' | 'model'>): string {
  if (tool.credits_cost <= 0) return tool.model === BUILTIN_MODEL ? t('create.cost.offline') : t('create.cost.free');
  return t('create.cost.atMost', { credits: formatCount('credit', tool.credits_cost) });
}

/** What a generation was charged. */
export function creditsUsedLabel(credits: number): string {
  return credits > 0 ? t('create.cost.charged', { credits: formatCount('credit', credits) }) : t('create.cost.notCharged');
}

/**
 * A creation's tool as a name: the tool's (from the catalogue, when it is known), else its type;
 * a creation of another kind (image, video, deck) by its kind.
 */
export function creationToolLabel(item: { type: CreationKind; tool_type: string }, tools: readonly Tool[] | undefined, locale: Locale): string {
  if (item.tool_type) {
    const tool = tools?.find((x) => x.type === item.tool_type);
    return tool ? toolName(tool, locale) : item.tool_type;
  }
  return KIND_LABELS[item.type] ?? item.type;
}

export const KIND_LABELS: Record<CreationKind, string> = translatedRecord({
  writing: 'create.kind.writing',
  image: 'create.kind.image',
  video: 'create.kind.video',
  ppt: 'create.kind.ppt',
});

/* ---------- the creations list's filters ---------- */

export interface CreationFilters {
  /** `all`, or one kind. */
  type: CreationKind | 'all';
  /** `''` for every tool. */
  tool: string;
  trashed: boolean;
  page: number;
}

export const DEFAULT_CREATION_FILTERS: CreationFilters = { type: 'all', tool: '', trashed: false, page: 1 };

export type CreationFilterChange =
  | { type: 'kind'; kind: CreationKind | 'all' }
  | { type: 'tool'; tool: string }
  | { type: 'trashed'; trashed: boolean }
  | { type: 'page'; page: number };

/**
 * The filters after a change: any change but the page goes back to page 1; a tool belongs to the
 * writing kind, so choosing another kind clears it and choosing a tool while another kind is shown
 * shows the writing kind.
 */
export function changeCreationFilters(f: CreationFilters, c: CreationFilterChange): CreationFilters {
  switch (c.type) {
    case 'kind':
      return { ...f, type: c.kind, tool: c.kind === 'all' || c.kind === 'writing' ? f.tool : '', page: 1 };
    case 'tool':
      return { ...f, tool: c.tool, type: c.tool && f.type !== 'all' && f.type !== 'writing' ? 'writing' : f.type, page: 1 };
    case 'trashed':
      return { ...f, trashed: c.trashed, page: 1 };
    case 'page':
      return { ...f, page: Math.max(1, Math.trunc(c.page) || 1) };
    default:
      return f;
  }
}

/** Whether the tool filter applies to the kind shown (only writing has tools). */
export function toolFilterApplies(type: CreationFilters['type']): boolean {
  return type === 'all' || type === 'writing';
}

export function creationsQuery(f: CreationFilters, limit = CREATIONS_PAGE_LIMIT): CreationsQuery {
  const q: CreationsQuery = { page: f.page, limit };
  if (f.type !== 'all') q.type = f.type;
  if (f.tool && toolFilterApplies(f.type)) q.toolType = f.tool;
  if (f.trashed) q.trashed = true;
  return q;
}

/* ---------- the deck, image and video tools ---------- */

/** The tools beside the writing ones, as `#/create?tool=` names them. */
export const MEDIA_TOOLS = ['deck', 'image', 'video'] as const;
export type MediaTool = (typeof MEDIA_TOOLS)[number];

export function isMediaTool(name: string | null | undefined): name is MediaTool {
  return (MEDIA_TOOLS as readonly string[]).includes(name ?? '');
}

/** The creation kind each tool makes. */
export const MEDIA_TOOL_KIND: Record<MediaTool, CreationKind> = { deck: 'ppt', image: 'image', video: 'video' };

/**
 * The outline as typed: one slide a line, each trimmed, blank lines dropped. A line keeps its
 * own bullets (`标题：要点一；要点二`): the server reads them.
 */
export function parseOutline(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** A point's title and bullets as the server reads them (`标题：要点一；要点二`): for the preview. */
export function outlinePoint(point: string): { title: string; bullets: string[] } {
  const at = point.search(/[:：]/);
  if (at <= 0) return { title: point, bullets: [] };
  const bullets = point
    .slice(at + 1)
    .split(/[;；]/)
    .map((b) => b.trim())
    .filter(Boolean);
  return { title: point.slice(0, at).trim(), bullets };
}

export interface DeckForm {
  topic: string;
  /** One point a line. */
  outline: string;
  requirements: string;
}

export const EMPTY_DECK_FORM: DeckForm = { topic: '', outline: '', requirements: '' };
export const DECK_FIELDS = ['topic', 'outline', 'requirements'] as const;
export type DeckField = (typeof DECK_FIELDS)[number];

export function validateDeckForm(form: DeckForm): FieldErrors {
  const errors: FieldErrors = {};
  const topic = form.topic.trim();
  if (!topic) errors.topic = t('create.deck.topicRequired');
  else if (chars(topic) > MEDIA_LIMITS.topic) errors.topic = t('create.form.tooLong', { max: MEDIA_LIMITS.topic });
  const points = parseOutline(form.outline);
  if (points.length === 0) errors.outline = t('create.deck.outlineRequired');
  else if (points.length > MEDIA_LIMITS.outlinePoints) errors.outline = t('create.deck.tooManyPoints', { max: MEDIA_LIMITS.outlinePoints });
  else if (points.some((p) => chars(p) > MEDIA_LIMITS.outlinePoint)) errors.outline = t('create.deck.pointTooLong', { max: MEDIA_LIMITS.outlinePoint });
  if (chars(form.requirements.trim()) > MEDIA_LIMITS.requirements) errors.requirements = t('create.form.tooLong', { max: MEDIA_LIMITS.requirements });
  return errors;
}

/** The request body: the topic trimmed, the outline a point a line, requirements only when given. */
export function deckRequest(form: DeckForm): DeckRequest {
  const body: DeckRequest = { topic: form.topic.trim(), outline: parseOutline(form.outline) };
  const requirements = form.requirements.trim();
  if (requirements) body.requirements = requirements;
  return body;
}

export interface ImageForm {
  prompt: string;
  size: ImageSize;
  negativePrompt: string;
  /** As typed: empty for none. */
  seed: string;
}

export const EMPTY_IMAGE_FORM: ImageForm = { prompt: '', size: IMAGE_SIZES[0], negativePrompt: '', seed: '' };
export const IMAGE_FIELDS = ['prompt', 'size', 'negative_prompt', 'seed'] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];

/** A seed as typed, or null when it is not a whole number from 0. */
export function parseSeed(text: string): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

export function validateImageForm(form: ImageForm): FieldErrors {
  const errors: FieldErrors = {};
  const prompt = form.prompt.trim();
  if (!prompt) errors.prompt = t('create.image.promptRequired');
  else if (chars(prompt) > MEDIA_LIMITS.prompt) errors.prompt = t('create.form.tooLong', { max: MEDIA_LIMITS.prompt });
  if (chars(form.negativePrompt.trim()) > MEDIA_LIMITS.prompt) errors.negative_prompt = t('create.form.tooLong', { max: MEDIA_LIMITS.prompt });
  if (form.seed.trim() && parseSeed(form.seed) === null) errors.seed = t('create.image.seedInvalid');
  return errors;
}

export function imageRequest(form: ImageForm): ImageRequest {
  const body: ImageRequest = { prompt: form.prompt.trim(), size: form.size };
  const negative = form.negativePrompt.trim();
  if (negative) body.negative_prompt = negative;
  const seed = parseSeed(form.seed);
  if (seed !== null) body.seed = seed;
  return body;
}

export interface VideoForm {
  title: string;
  script: string;
  /** Seconds, as typed: empty for the default (30). */
  duration: string;
  workflow: VideoWorkflow;
}

export const EMPTY_VIDEO_FORM: VideoForm = { title: '', script: '', duration: '', workflow: VIDEO_WORKFLOWS[0] };
export const VIDEO_FIELDS = ['title', 'script', 'duration', 'workflow'] as const;
export type VideoField = (typeof VIDEO_FIELDS)[number];

export function validateVideoForm(form: VideoForm): FieldErrors {
  const errors: FieldErrors = {};
  const script = form.script.trim();
  if (!script) errors.script = t('create.video.scriptRequired');
  else if (chars(script) > MEDIA_LIMITS.script) errors.script = t('create.form.tooLong', { max: MEDIA_LIMITS.script });
  if (form.duration.trim()) {
    const d = Number(form.duration.trim());
    if (!Number.isInteger(d) || d < MEDIA_LIMITS.durationMin || d > MEDIA_LIMITS.durationMax) {
      errors.duration = t('create.video.durationRange', { min: MEDIA_LIMITS.durationMin, max: MEDIA_LIMITS.durationMax });
    }
  }
  return errors;
}

export function videoRequest(form: VideoForm): VideoRequest {
  const body: VideoRequest = { script: form.script, workflow: form.workflow };
  const title = form.title.trim();
  if (title) body.title = title;
  if (form.duration.trim()) body.duration = Number(form.duration.trim());
  return body;
}

/**
 * A refused request's message next to the field it names (`body.outline` → `outline`), among the
 * form's `fields`; nothing for an error about no field the form shows (the form's own error then).
 */
export function mediaFieldErrors(error: unknown, fields: readonly string[]): FieldErrors {
  if (!(error instanceof ApiError)) return {};
  const field = formFieldFor(error.field, fields);
  if (!field) return {};
  return { [field]: apiErrorMessage({ detail: error.detail, error_code: error.error_code }) };
}

/** Whether a refused request is about the credits (402): the screen links to Credits. */
export function isCreditsError(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 402 || error.error_code === 'CREDITS_EXCEEDED');
}

/** A video task's progress in whole percent (0–100), from its 0–1 `progress`. */
export function videoProgressPercent(task: Pick<VideoTask, 'progress' | 'status'>): number {
  if (task.status === 'completed') return 100;
  const p = Number.isFinite(task.progress) ? task.progress : 0;
  return Math.max(0, Math.min(100, Math.round(p * 100)));
}

export const VIDEO_WORKFLOW_LABELS: Record<VideoWorkflow, string> = translatedRecord({
  animatic: 'create.video.workflowAnimatic',
  full_production: 'create.video.workflowFull',
});
