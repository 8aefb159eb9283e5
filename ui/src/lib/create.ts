/**
 * The creator tools' plain helpers (api/create.ts has the calls and the stream): the stream's
 * reducer, keywords typed with commas, the form's checks and request body, a tool's localized
 * name and cost, and the creations list's filters.
 */
import {
  BUILTIN_MODEL,
  CREATIONS_PAGE_LIMIT,
  LIMITS,
  TRANSLATION_TOOL,
  type CreationKind,
  type CreationsQuery,
  type Generated,
  type Tool,
  type WritingErrorData,
  type WritingRequest,
  type WritingStreamEvent,
} from '../api/create';
import { t, translatedRecord, type Locale } from '../i18n';
import { formatCount } from './format';
import { apiErrorMessage } from '../transport/errors';
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
