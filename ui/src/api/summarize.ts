/**
 * Reference-video analysis (docs/SUMMARIZE.md): a video (an address or an uploaded file) becomes a
 * timed transcript, a summary, a mind map and a beat sheet, streamed as server-sent events; the
 * summaries are kept in the history, a beat sheet becomes a script draft, and up to 20 addresses
 * are summarised as a batch. The calls, their TanStack Query hooks (keys under `keys.summaries`),
 * the stream client (`streamSummary`, which resumes a dropped stream by `Last-Event-ID`) and the
 * reducer that turns its events into what the screens show (`summaryStreamReducer`).
 */
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { createSseEventParser } from '../lib/sse';
import { ApiError, request, requestStream } from '../transport';
import { networkError } from '../transport/errors';
import { apiPath, query } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';
import type { Page, Share } from './types';

/* ---------- types (docs/SUMMARIZE.md; the generated schemas where the document has them) ---------- */

type Schemas = components['schemas'];

export const MODES = ['brief', 'detailed', 'beats', 'mindmap'] as const satisfies readonly Schemas['SummaryMode'][];
export type Mode = Schemas['SummaryMode'];
export const DEFAULT_MODE: Mode = 'beats';

export const BEAT_KINDS = ['hook', 'setup', 'reversal', 'cliffhanger'] as const satisfies readonly Schemas['BeatKind'][];
export type BeatKind = Schemas['BeatKind'];

export type TranscriptSource = Schemas['TranscriptSource'];
export type TimedText = Schemas['TimedText'];
export type Beat = Schemas['Beat'];

/** What one summary's calls used and cost (credits 0 for a cache hit, an extractive summary, a member). */
export type SummaryUsage = Schemas['SummaryUsage'];

/** The video as `transcript_complete` describes it (only in the stream: not in the document). */
export interface VideoFile {
  name: string;
  size_bytes: number;
  duration_ms: number;
  sha256: string;
  has_audio: boolean;
}

/** A summary in the history, whole (with its transcript). */
export type HistoryEntry = Schemas['HistoryEntry'];
/** A summary as the history's list shows it. */
export type HistoryItem = Schemas['HistoryItem'];
/** A summary a person writes or edits (`POST /history`, free). */
export type ManualSummary = Schemas['ManualSummary'];
/** A first script draft (Fountain), one scene a beat. */
export type ScriptDraft = Schemas['ScriptDraft'];
/** `POST /history/{id}/share` (team server only): absent fields are no expiry and no password. */
export type NewSummaryShare = Schemas['NewSummaryShare'];

export const BATCH_STATUSES = ['pending', 'running', 'completed', 'partial', 'failed'] as const satisfies readonly Schemas['BatchJob']['status'][];
export type BatchStatus = Schemas['BatchJob']['status'];
/** The document types `mode` as a string; the UI sends one of the modes. */
export type BatchRequest = Omit<Schemas['BatchRequest'], 'mode'> & { mode?: Mode | null };
export type BatchCreated = Schemas['BatchCreated'];
export type BatchResult = Schemas['BatchResult'];
export type BatchItemError = Schemas['BatchItemError'];
export type BatchJob = Schemas['BatchJob'];

/* ---------- the stream's events (not in the API schema) ---------- */

export const STAGES = ['fetching', 'probing', 'cached', 'subtitles', 'extracting_audio', 'transcribing', 'summarizing', 'saving'] as const;
export type Stage = (typeof STAGES)[number];

/** `status`: where the work is; `progress` (0–1) where it has known parts. */
export interface StatusData {
  stage: Stage;
  message: string;
  progress?: number | null;
}

/** `transcript_complete`. */
export interface TranscriptData {
  transcript: string;
  segments: TimedText[];
  source: TranscriptSource;
  videoFile: VideoFile;
  usage: Pick<SummaryUsage, 'audio_seconds' | 'asr_calls'>;
}

/** `summary_complete`: the stream's last event when all went well. */
export interface SummaryData {
  summary: string;
  mindmap: string;
  beats: Beat[];
  summary_id: string;
  mode: Mode;
  focus: string;
  model: string;
  cached: boolean;
  usage: SummaryUsage;
}

/** `error`: the stream's last event when the work failed (nothing is charged then). */
export interface StreamErrorData {
  code: string;
  message: string;
  retryable: boolean;
  /** The field at fault (the client's own errors: a 422 before the stream opened). */
  field?: string;
}

/** An event the server sent, with its id (`run:seq`). */
export type SummaryServerEvent =
  | { type: 'status'; id: string | null; data: StatusData }
  | { type: 'transcript_complete'; id: string | null; data: TranscriptData }
  | { type: 'summary_complete'; id: string | null; data: SummaryData }
  | { type: 'error'; id: string | null; data: StreamErrorData };

/** Why a stream ended without its last event: resuming it answered 204 or 410, or it kept dropping. */
export type LostReason = 'nothing-left' | 'gone' | 'dropped';

/** What the stream client itself reports about the connection. */
export type SummaryClientEvent =
  | { type: 'start' }
  | { type: 'reconnecting'; attempt: number }
  | { type: 'lost'; reason: LostReason }
  /** The request was refused before the stream opened (401, 422, 429…), or never reached the server. */
  | { type: 'failed'; error: StreamErrorData }
  | { type: 'cancelled' };

/** What the screen itself asks of the state: forget the last run. */
export type SummaryScreenEvent = { type: 'reset' };

export type SummaryStreamEvent = SummaryServerEvent | SummaryClientEvent | SummaryScreenEvent;

/* ---------- the reducer ---------- */

export type StreamPhase = 'idle' | 'running' | 'reconnecting' | 'done' | 'error' | 'lost' | 'cancelled';

export interface SummaryStreamState {
  phase: StreamPhase;
  stage: Stage | null;
  /** The server's words for the stage (English), shown under the stage's own label. */
  message: string;
  /** 0–1, or null while the stage has no known parts. */
  progress: number | null;
  transcript: TranscriptData | null;
  result: SummaryData | null;
  error: StreamErrorData | null;
  lost: LostReason | null;
  /** How many times the connection was picked up again. */
  reconnects: number;
}

export const INITIAL_STREAM_STATE: SummaryStreamState = {
  phase: 'idle',
  stage: null,
  message: '',
  progress: null,
  transcript: null,
  result: null,
  error: null,
  lost: null,
  reconnects: 0,
};

/** Whether nothing more will change the state (until the next `start`). */
export function isStreamOver(phase: StreamPhase): boolean {
  return phase === 'done' || phase === 'error' || phase === 'lost' || phase === 'cancelled';
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}

/**
 * The stream's state after one more event. `start` begins afresh (`reset` goes back to idle); once the stream is over
 * (`summary_complete`, `error`, lost, cancelled) later events change nothing, so a late or repeated
 * event cannot undo a result. A `status` without `progress` keeps the bar where it was within the
 * same stage and empties it for a new one.
 */
export function summaryStreamReducer(state: SummaryStreamState, event: SummaryStreamEvent): SummaryStreamState {
  if (event.type === 'reset') return INITIAL_STREAM_STATE;
  if (event.type === 'start') return { ...INITIAL_STREAM_STATE, phase: 'running' };
  if (isStreamOver(state.phase)) return state;
  switch (event.type) {
    case 'status': {
      const { stage, message } = event.data;
      const p = event.data.progress;
      const progress = typeof p === 'number' && Number.isFinite(p) ? clamp01(p) : stage === state.stage ? state.progress : null;
      return { ...state, phase: 'running', stage, message, progress };
    }
    case 'transcript_complete':
      return { ...state, phase: 'running', transcript: event.data };
    case 'summary_complete':
      return { ...state, phase: 'done', result: event.data, progress: 1, error: null };
    case 'error':
      return { ...state, phase: 'error', error: event.data };
    case 'failed':
      return { ...state, phase: 'error', error: event.error };
    case 'reconnecting':
      return { ...state, phase: 'reconnecting', reconnects: state.reconnects + 1 };
    case 'lost':
      return { ...state, phase: 'lost', lost: event.reason };
    case 'cancelled':
      return { ...state, phase: 'cancelled' };
    default:
      return state;
  }
}

/* ---------- paths ---------- */

export const SUMMARIZE_PATH = '/api/v1/summarize';
export const HISTORY_PATH = '/api/v1/history';
export const BATCH_PATH = '/api/v1/batch';

/** The most addresses one batch takes. */
export const MAX_BATCH_URLS = 20;

export interface HistoryQuery {
  /** Only this project's analyses. */
  projectId?: string;
  page?: number;
  limit?: number;
}

export function historyPath(q: HistoryQuery = {}): string {
  return `${HISTORY_PATH}${query({ page: q.page ?? 1, limit: q.limit ?? 20, project_id: q.projectId })}`;
}

export const SUMMARIZE_PATHS = {
  entry: (id: string) => apiPath('history', id),
  restore: (id: string) => apiPath('history', id, 'restore'),
  script: (id: string) => apiPath('history', id, 'script'),
  share: (id: string) => apiPath('history', id, 'share'),
  batchCreate: `${BATCH_PATH}/summarize`,
  batch: (jobId: string) => apiPath('batch', jobId),
} as const;

/** What to summarise: an address, or a file (with its subtitles, optionally). */
export interface SummarizeInput {
  url?: string;
  file?: Blob;
  subtitles?: Blob | null;
  mode?: Mode;
  focus?: string;
  projectId?: string;
  modelId?: string;
  asrModelId?: string;
  language?: string;
}

function fields(input: SummarizeInput): Record<string, string | undefined> {
  return {
    mode: input.mode,
    focus: input.focus?.trim() || undefined,
    model_id: input.modelId,
    asr_model_id: input.asrModelId,
    language: input.language,
    project_id: input.projectId,
  };
}

/** `GET /summarize?url=…` for an address (also the path a resumed stream is asked for again). */
export function summarizeUrlPath(input: SummarizeInput): string {
  return `${SUMMARIZE_PATH}${query({ url: input.url?.trim(), ...fields(input) })}`;
}

/** The multipart form of `POST /summarize`: the file, its subtitles, the same fields as text. */
export function summarizeForm(input: SummarizeInput): FormData {
  const form = new FormData();
  if (input.file) form.append('file', input.file, fileName(input.file, 'video'));
  if (input.subtitles) form.append('subtitles', input.subtitles, fileName(input.subtitles, 'subtitles.srt'));
  for (const [k, v] of Object.entries(fields(input))) if (v) form.append(k, v);
  return form;
}

function fileName(b: Blob, fallback: string): string {
  const name = (b as { name?: unknown }).name;
  return typeof name === 'string' && name ? name : fallback;
}

/* ---------- the stream client ---------- */

export const LAST_EVENT_ID_HEADER = 'Last-Event-ID';

/** How the stream ended, for the caller (the events said it already). */
export type StreamOutcome = 'completed' | 'error' | 'lost' | 'failed' | 'cancelled';

export interface StreamSummaryOptions {
  signal?: AbortSignal;
  /** How many times in a row a dropped connection is picked up again (default 2). */
  maxResumes?: number;
  /** The wait before picking it up again (default 1 s). */
  resumeDelayMs?: number;
}

/** `run:seq` → its parts, or null for an id of another shape. */
export function parseEventId(id: string | null): { run: string; seq: number } | null {
  if (!id) return null;
  const at = id.lastIndexOf(':');
  if (at <= 0) return null;
  const seq = Number(id.slice(at + 1));
  return Number.isInteger(seq) && seq >= 0 ? { run: id.slice(0, at), seq } : null;
}

const SERVER_EVENTS = new Set(['status', 'transcript_complete', 'summary_complete', 'error']);

function errorData(e: unknown): StreamErrorData {
  if (e instanceof ApiError) {
    const d: StreamErrorData = { code: e.error_code, message: e.detail, retryable: e.retryable };
    if (e.field) d.field = e.field;
    return d;
  }
  const n = networkError(e);
  return { code: n.error_code, message: n.detail, retryable: true };
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Summarises a video and reports every event to `onEvent`: `start`, then the server's events
 * (`status`, `transcript_complete`, then `summary_complete` or `error`). An address is a GET, a
 * file a multipart POST. A connection that drops before the last event is picked up again (twice
 * in a row at most) by asking `GET /summarize` with `Last-Event-ID: <the last id>` (an upload is
 * not sent again: the work runs on without it); events already reported are never reported twice.
 * A resumed stream that has nothing left (204) or is gone (410) ends with `lost`: a finished
 * summary is in the history. Resolves with how it ended; never rejects.
 */
export async function streamSummary(
  input: SummarizeInput,
  onEvent: (e: SummaryStreamEvent) => void,
  options: StreamSummaryOptions = {},
): Promise<StreamOutcome> {
  const { signal } = options;
  const maxResumes = options.maxResumes ?? 2;
  const resumeDelayMs = options.resumeDelayMs ?? 1000;
  const byFile = input.file !== undefined;
  let lastId: string | null = null;
  let last: { run: string; seq: number } | null = null;
  let attempts = 0;
  onEvent({ type: 'start' });

  /** Sends the request (again, resuming after `lastId` once there is one). */
  function open(): Promise<Response> {
    if (lastId === null) {
      return byFile ? requestStream(SUMMARIZE_PATH, summarizeForm(input), signal) : requestStream(summarizeUrlPath(input), undefined, signal, { method: 'GET' });
    }
    const path = byFile ? SUMMARIZE_PATH : summarizeUrlPath(input);
    return requestStream(path, undefined, signal, { method: 'GET', headers: { [LAST_EVENT_ID_HEADER]: lastId } });
  }

  /** Reads one response: how it ended once its last event came, null when the connection dropped. */
  async function read(res: Response): Promise<StreamOutcome | null> {
    if (!res.body) return null;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = createSseEventParser();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return null;
      }
      if (chunk.done) return null;
      for (const e of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        if (!SERVER_EVENTS.has(e.event)) continue;
        const at = parseEventId(e.id);
        // Sent already (a resumed stream starts after the id it was given; this guards a server that repeats).
        if (at && last && at.run === last.run && at.seq <= last.seq) continue;
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          continue;
        }
        if (e.id !== null) {
          lastId = e.id;
          if (at) last = at;
        }
        attempts = 0;
        onEvent({ type: e.event, id: e.id, data } as SummaryServerEvent);
        if (e.event === 'summary_complete' || e.event === 'error') {
          void reader.cancel().catch(() => undefined);
          return e.event === 'summary_complete' ? 'completed' : 'error';
        }
      }
    }
  }

  for (;;) {
    let res: Response | null = null;
    try {
      res = await open();
    } catch (e) {
      if (signal?.aborted) {
        onEvent({ type: 'cancelled' });
        return 'cancelled';
      }
      if (lastId !== null && e instanceof ApiError && e.status === 410) {
        onEvent({ type: 'lost', reason: 'gone' });
        return 'lost';
      }
      // A resume that did not reach the server is one more drop; a first request is not resumed.
      if (!(lastId !== null && e instanceof ApiError && e.status === 0)) {
        onEvent({ type: 'failed', error: errorData(e) });
        return 'failed';
      }
    }
    if (res) {
      if (res.status === 204) {
        onEvent({ type: 'lost', reason: 'nothing-left' });
        return 'lost';
      }
      const ended = await read(res);
      if (ended) return ended;
    }
    if (signal?.aborted) {
      onEvent({ type: 'cancelled' });
      return 'cancelled';
    }
    if (lastId === null) {
      // Dropped before the first event: there is nothing to resume from.
      onEvent({ type: 'failed', error: errorData(new Error('the connection dropped')) });
      return 'failed';
    }
    if (attempts >= maxResumes) {
      onEvent({ type: 'lost', reason: 'dropped' });
      return 'lost';
    }
    attempts += 1;
    onEvent({ type: 'reconnecting', attempt: attempts });
    await wait(resumeDelayMs, signal);
    if (signal?.aborted) {
      onEvent({ type: 'cancelled' });
      return 'cancelled';
    }
  }
}

/* ---------- a summary to show ---------- */

/** One summary as the result view shows it, from the stream or from the history. */
export interface SummaryDoc {
  id: string;
  title: string | null;
  summary: string;
  mindmap: string;
  beats: Beat[];
  transcript: TimedText[];
  mode: Mode;
  focus: string;
  model: string;
  cached: boolean;
  creditsCharged: number;
}

export function docFromStream(state: SummaryStreamState): SummaryDoc | null {
  const r = state.result;
  if (!r) return null;
  return {
    id: r.summary_id,
    // The history's title: the file name without its extension.
    title: state.transcript ? state.transcript.videoFile.name.replace(/\.[^./]+$/, '') || state.transcript.videoFile.name : null,
    summary: r.summary,
    mindmap: r.mindmap,
    beats: r.beats,
    transcript: state.transcript?.segments ?? [],
    mode: r.mode,
    focus: r.focus,
    model: r.model,
    cached: r.cached,
    creditsCharged: r.usage.credits_charged,
  };
}

export function docFromEntry(e: HistoryEntry): SummaryDoc {
  return {
    id: e.id,
    title: e.title,
    summary: e.summary,
    mindmap: e.mindmap,
    beats: e.beats,
    transcript: e.transcript,
    mode: e.mode,
    focus: e.focus,
    model: e.model,
    cached: e.usage.cached || !!e.cached_from,
    creditsCharged: e.credits_charged,
  };
}

/* ---------- history ---------- */

/** The workspace's summaries (or one project's), newest first. */
export function listHistory(q: HistoryQuery = {}, signal?: AbortSignal): Promise<Page<HistoryItem>> {
  return request<Page<HistoryItem>>('GET', historyPath(q), undefined, signal);
}

/** One summary, whole, with its transcript. */
export function getHistoryEntry(id: string, signal?: AbortSignal): Promise<HistoryEntry> {
  return request<HistoryEntry>('GET', SUMMARIZE_PATHS.entry(id), undefined, signal);
}

/** Saves a summary a person wrote (201, free). */
export function saveHistoryEntry(body: ManualSummary): Promise<HistoryEntry> {
  return request<HistoryEntry>('POST', HISTORY_PATH, body);
}

/** Moves a summary to the trash (`deleted_at` set); `restoreHistory` brings it back. */
export function deleteHistory(id: string): Promise<HistoryEntry> {
  return request<HistoryEntry>('DELETE', SUMMARIZE_PATHS.entry(id));
}

export function restoreHistory(id: string): Promise<HistoryEntry> {
  return request<HistoryEntry>('POST', SUMMARIZE_PATHS.restore(id), {});
}

/** A script draft (Fountain) from a summary's beats; 409 when it has no beat sheet. */
export function draftScript(id: string): Promise<ScriptDraft> {
  return request<ScriptDraft>('POST', SUMMARIZE_PATHS.script(id), {});
}

/**
 * Makes a share link to a summary (201, `active`; team server only: the desktop answers 404): its
 * public page shows the summary, the beat sheet and the mind map. The link is one of the
 * workspace's share links (`GET /share` lists it, `DELETE /share/{id}` revokes it). 404 for a
 * summary not in the workspace; 422 with `field` for an expiry not in the next 366 days
 * (`expires_at`) or a password not 4–128 characters (`password`).
 */
export function shareSummary(id: string, body: NewSummaryShare): Promise<Share> {
  return request<Share>('POST', SUMMARIZE_PATHS.share(id), body);
}

/* ---------- batches ---------- */

/** Starts a batch (202): nothing is charged up front, each item as it completes. */
export function createBatch(body: BatchRequest): Promise<BatchCreated> {
  return request<BatchCreated>('POST', SUMMARIZE_PATHS.batchCreate, body);
}

export function getBatch(jobId: string, signal?: AbortSignal): Promise<BatchJob> {
  return request<BatchJob>('GET', SUMMARIZE_PATHS.batch(jobId), undefined, signal);
}

/** The workspace's latest 50 batches, newest first. */
export function listBatches(signal?: AbortSignal): Promise<BatchJob[]> {
  return request<BatchJob[]>('GET', BATCH_PATH, undefined, signal);
}

/** How often a batch still at work is read again. */
export const BATCH_POLL_MS = 2_000;

export function isBatchActive(status: BatchStatus | undefined): boolean {
  return status === 'pending' || status === 'running';
}

/* ---------- queries ---------- */

export const useHistory = (q: HistoryQuery, enabled = true) =>
  useQuery({ queryKey: keys.summaries.list(q), queryFn: ({ signal }) => listHistory(q, signal), placeholderData: keepPreviousData, enabled });

/** One summary; a stored summary never changes, so it is read once per page load. */
export const useHistoryEntry = (id: string | null) =>
  useQuery({ queryKey: keys.summaries.one(id ?? ''), queryFn: ({ signal }) => getHistoryEntry(id!, signal), enabled: id !== null, staleTime: Infinity });

/** A batch's query: read every 2 s while it is pending or running (not after a failed read). */
export const batchOptions = (jobId: string) =>
  queryOptions({
    queryKey: keys.summaries.batch(jobId),
    queryFn: ({ signal }) => getBatch(jobId, signal),
    refetchInterval: (q) => (q.state.status !== 'error' && isBatchActive(q.state.data?.status) ? BATCH_POLL_MS : false),
  });

export const useBatch = (jobId: string | null) => useQuery({ ...batchOptions(jobId ?? ''), enabled: jobId !== null });

export const useBatches = (enabled = true) =>
  useQuery({ queryKey: keys.summaries.batches, queryFn: ({ signal }) => listBatches(signal), enabled });

/** After a summary is made, saved, trashed or restored: the lists read afresh. */
export function refreshHistory(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: keys.summaries.lists });
}

/** Trashes a summary: it leaves every cached list at once, then the lists are read afresh. */
export async function trashHistoryEntry(queryClient: QueryClient, id: string): Promise<HistoryEntry> {
  const entry = await deleteHistory(id);
  queryClient.setQueriesData<Page<HistoryItem>>({ queryKey: keys.summaries.lists }, (d) =>
    d && d.items.some((i) => i.id === id) ? { ...d, items: d.items.filter((i) => i.id !== id), total: d.total - 1 } : d,
  );
  queryClient.removeQueries({ queryKey: keys.summaries.one(id) });
  void refreshHistory(queryClient);
  return entry;
}

/** Brings a trashed summary back (the toast's Undo). */
export async function restoreHistoryEntry(queryClient: QueryClient, id: string): Promise<HistoryEntry> {
  const entry = await restoreHistory(id);
  queryClient.setQueryData(keys.summaries.one(id), entry);
  void refreshHistory(queryClient);
  return entry;
}

/** Starts a batch and puts it in the cache, so its card shows at once and polls. */
export async function startBatch(queryClient: QueryClient, body: BatchRequest): Promise<BatchCreated> {
  const created = await createBatch(body);
  void queryClient.invalidateQueries({ queryKey: keys.summaries.batches });
  return created;
}
