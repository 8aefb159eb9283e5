/**
 * The creator tools (`openapi.json`, tag `create`): the 14 writing tools, each priced on the model
 * it would use (`GET /writing/tools`); a generation streamed as server-sent events
 * (`POST /writing/{tool}/generate/stream`, read with fetch: EventSource cannot POST); and the
 * creations it saves, with edit, trash, restore and, for a short-video script, a project made from
 * it. The calls, their TanStack Query hooks (keys under `keys.creations`) and the stream client
 * (`streamWriting`); the reducer that turns its events into screen state is `writingStreamReducer`
 * in lib/create.ts. Also the deck, image and video tools (docs/CREATE.md): a deck and an image are
 * one request each (a `.pptx` or a picture saved as a creation); a video is a task followed by
 * polling `GET /video/{task_id}/status` (`videoTaskOptions`).
 */
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { createSseEventParser } from '../lib/sse';
import { ApiError, request, requestBlob, requestStream } from '../transport';
import { CLIENT_ERROR_CODES, networkError } from '../transport/errors';
import { toApiPath } from './export';
import { apiPath, query } from './paths';
import { getModel } from './providers';
import { keys } from './queries';
import type { components } from './schema.gen';
import type { Page, Project } from './types';

/* ---------- types (the generated schemas where the document has them) ---------- */

type Schemas = components['schemas'];

/** A writing tool, with the most one generation may cost on the model it would use (0: the built-in writer). */
export type Tool = Schemas['Tool'];
/** A creation, whole (full content, what was asked for, the template that wrote it). */
export type Creation = Schemas['Creation'];
/** A creation as lists show it: `content` is its first 280 characters. */
export type CreationItem = Schemas['CreationItem'];
export type CreationPatch = Schemas['CreationPatch'];
/** What a generation made (`done`'s data, and the non-streaming answer). */
export type Generated = Schemas['Generated'];

export const CREATION_KINDS = ['writing', 'image', 'video', 'ppt'] as const satisfies readonly Schemas['Kind'][];
export type CreationKind = Schemas['Kind'];

/**
 * What a person asks a writing tool for. The document types `keywords` as an object (it takes a
 * list or one comma-separated string); the UI always sends a list.
 */
export type WritingRequest = Omit<Schemas['WritingRequest'], 'keywords'> & { keywords?: string[] };

/** The tool whose creations open as a project (`POST /creations/{id}/project`; 409 for any other). */
export const VIDEO_SCRIPT_TOOL = 'video_script';
/** The tool that translates: its language is the target language (default English, not 中文). */
export const TRANSLATION_TOOL = 'translation';
/** The model id of the offline writer (free). */
export const BUILTIN_MODEL = 'builtin';

/** The server's limits (the `WritingRequest` and `CreationPatch` schemas). */
export const LIMITS = {
  title: 200,
  keywords: 20,
  keyword: 50,
  requirements: 2_000,
  content: 50_000,
  language: 40,
  /** A saved creation's content (`PUT /creations/{id}`). */
  savedContent: 200_000,
} as const;

/* ---------- decks, images, videos ---------- */

/** What the deck tool is asked for: a topic, one outline point a slide (`标题：要点一；要点二`). */
export type DeckRequest = Schemas['DeckRequest'];
/** A deck made: its `.pptx` at `download_url` (an API path), how many slides (the title slide counted). */
export type DeckMade = Schemas['DeckMade'];
export type ImageRequest = Schemas['ImageAsk'];
/** A picture made: `image_url` is an API path (`/creations/{id}/file`). */
export type ImageMade = Schemas['ImageMade'];
export type VideoRequest = Omit<Schemas['VideoAsk'], 'workflow'> & { workflow?: VideoWorkflow | null };
/** A video task as `POST /video/generate` (202) and `GET /video/{task_id}/status` show it. */
export type VideoTask = Schemas['VideoTaskView'];
export type VideoStatus = Schemas['VideoStatus'];

/** `animatic`: offline and free; `full_production`: the workspace's models, each paid step charged. */
export const VIDEO_WORKFLOWS = ['animatic', 'full_production'] as const;
export type VideoWorkflow = (typeof VIDEO_WORKFLOWS)[number];

/** The sizes the image form offers (`WIDTHxHEIGHT`; the server takes any side 256–2048). */
export const IMAGE_SIZES = ['1024x1024', '720x1280', '1280x720', '768x1024'] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

/** The server's limits for the deck, image and video tools (docs/CREATE.md, Limits). */
export const MEDIA_LIMITS = {
  topic: 200,
  outlinePoints: 30,
  outlinePoint: 500,
  requirements: 2_000,
  prompt: 2_000,
  script: 200_000,
  videoTitle: 100,
  durationMin: 5,
  durationMax: 600,
  durationDefault: 30,
} as const;

/** How often a video task is read while it runs. */
export const VIDEO_POLL_MS = 1_000;

/* ---------- the stream's events (not in the API schema: only the 200's description names them) ---------- */

/** `start`: the creation's id, the model writing it, the credits held for it (the most it may cost). */
export interface WritingStartData {
  creation_id: string;
  model: string;
  estimate: number;
}

/** `delta`: more text (appended). */
export interface WritingDeltaData {
  text: string;
}

/** `restart`: an attempt failed and is retried from the start (the text so far is discarded). */
export interface WritingRestartData {
  attempt: number;
}

/** `error`: the stream's last event when the generation failed (its hold is released: nothing charged). */
export interface WritingErrorData {
  code: string;
  message: string;
  retryable: boolean;
  /** The field at fault (a request refused before the stream opened: 422). */
  field?: string;
  /** The HTTP status of a request refused before the stream opened (402, 404, 422…). */
  status?: number;
}

export type WritingServerEvent =
  | { type: 'start'; data: WritingStartData }
  | { type: 'delta'; data: WritingDeltaData }
  | { type: 'restart'; data: WritingRestartData }
  | { type: 'done'; data: Generated }
  | { type: 'error'; data: WritingErrorData };

/** What the stream client itself reports. */
export type WritingClientEvent =
  /** The request is on its way. */
  | { type: 'begin' }
  /** Refused before the stream opened (402, 404, 422…), or the server was not reached. */
  | { type: 'failed'; error: WritingErrorData }
  /** The stream ended without `done` or `error`: the server finishes and saves the text all the same. */
  | { type: 'lost' }
  /** The person stopped watching (the fetch was aborted): the server finishes and saves it all the same. */
  | { type: 'cancelled' };

/** What the screen itself asks of the state: forget the last run. */
export type WritingScreenEvent = { type: 'reset' };

export type WritingStreamEvent = WritingServerEvent | WritingClientEvent | WritingScreenEvent;

/* ---------- paths ---------- */

export const WRITING_TOOLS_PATH = '/api/v1/writing/tools';
export const CREATIONS_PATH = '/api/v1/creations';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

export const CREATE_PATHS = {
  tools: (modelId?: string) => `${WRITING_TOOLS_PATH}${query({ model_id: modelId })}`,
  generate: (toolType: string) => apiPath('writing', toolType, 'generate'),
  stream: (toolType: string) => apiPath('writing', toolType, 'generate', 'stream'),
  creation: (id: string) => apiPath('creations', id),
  restore: (id: string) => apiPath('creations', id, 'restore'),
  project: (id: string) => apiPath('creations', id, 'project'),
  file: (id: string) => apiPath('creations', id, 'file'),
  deck: '/api/v1/ppt/generate',
  image: '/api/v1/image/generate',
  video: '/api/v1/video/generate',
  videoStatus: (taskId: string) => apiPath('video', taskId, 'status'),
} as const;

export const CREATIONS_PAGE_LIMIT = 20;

export interface CreationsQuery {
  type?: CreationKind | undefined;
  /** One writing tool's creations. */
  toolType?: string | undefined;
  /** The trash (most recently deleted first) instead of the live creations. */
  trashed?: boolean | undefined;
  page?: number | undefined;
  limit?: number | undefined;
}

export function creationsPath(q: CreationsQuery = {}): string {
  return `${CREATIONS_PATH}${query({
    type: q.type,
    tool_type: q.toolType,
    trashed: q.trashed ? 'true' : undefined,
    page: q.page ?? 1,
    limit: q.limit ?? CREATIONS_PAGE_LIMIT,
  })}`;
}

/* ---------- calls ---------- */

/** The 14 writing tools, priced on `modelId` (default: the configured model, else the built-in writer). */
export function listTools(modelId?: string, signal?: AbortSignal): Promise<Tool[]> {
  return request<Tool[]>('GET', CREATE_PATHS.tools(modelId), undefined, signal);
}

/** A generation without the stream (201). The screens stream it (`streamWriting`). */
export function generateWriting(toolType: string, body: WritingRequest): Promise<Generated> {
  return request<Generated>('POST', CREATE_PATHS.generate(toolType), body);
}

export function listCreations(q: CreationsQuery = {}, signal?: AbortSignal): Promise<Page<CreationItem>> {
  return request<Page<CreationItem>>('GET', creationsPath(q), undefined, signal);
}

export function getCreation(id: string, signal?: AbortSignal): Promise<Creation> {
  return request<Creation>('GET', CREATE_PATHS.creation(id), undefined, signal);
}

/** New title and/or content (422 `title` empty or over 200 characters, `content` over 200,000). */
export function updateCreation(id: string, patch: CreationPatch): Promise<Creation> {
  return request<Creation>('PUT', CREATE_PATHS.creation(id), patch);
}

/** Moves a creation to the trash (`deleted_at` set); `restoreCreation` brings it back. */
export function deleteCreation(id: string): Promise<Creation> {
  return request<Creation>('DELETE', CREATE_PATHS.creation(id));
}

export function restoreCreation(id: string): Promise<Creation> {
  return request<Creation>('POST', CREATE_PATHS.restore(id), {});
}

/** A new project whose script is this short-video script (201); 409 for a creation of another tool. */
export function openCreationAsProject(id: string): Promise<Project> {
  return request<Project>('POST', CREATE_PATHS.project(id), {});
}

/* ---------- decks, images, videos ---------- */

/**
 * POSTs a JSON body with an `Idempotency-Key` (which `request` cannot send) and reads the JSON
 * answer: the same key answers with the first request's creation, charged once, so Try again after
 * a dropped connection does not pay twice. Rejects with ApiError like `request`.
 */
async function postWithKey<T>(path: string, body: unknown, idempotencyKey: string | undefined, signal?: AbortSignal): Promise<T> {
  const res = await requestStream(path, body, signal, idempotencyKey ? { headers: { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } } : undefined);
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw networkError(e);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, { detail: 'The server sent an unexpected answer', error_code: CLIENT_ERROR_CODES.badResponse, retryable: false });
  }
}

/**
 * A `.pptx` of a topic and an outline (201). One request, which may take minutes with a model;
 * 402 when the credits cannot cover it, 422 naming `topic` or `outline`, 502 when the model failed
 * (nothing charged).
 */
export function generateDeck(body: DeckRequest, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<DeckMade> {
  return postWithKey<DeckMade>(CREATE_PATHS.deck, body, options.idempotencyKey, options.signal);
}

/** A picture (201): with the image model at its price, else drawn offline for free. 422 names `prompt` or `size`. */
export function generateImage(body: ImageRequest, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<ImageMade> {
  return postWithKey<ImageMade>(CREATE_PATHS.image, body, options.idempotencyKey, options.signal);
}

/** Starts a video task (202); each request is a new task (no `Idempotency-Key`). 422 names `script`, `duration`, `workflow`. */
export function generateVideo(body: VideoRequest): Promise<VideoTask> {
  return request<VideoTask>('POST', CREATE_PATHS.video, body);
}

export function getVideoTask(taskId: string, signal?: AbortSignal): Promise<VideoTask> {
  return request<VideoTask>('GET', CREATE_PATHS.videoStatus(taskId), undefined, signal);
}

/**
 * The bytes behind a creation's file URL (`download_url`, `image_url`, `video_url`: API paths),
 * through the transport: the desktop's custom scheme and the accounts mode's token rule out a
 * bare `href`.
 */
export function fetchCreationFile(url: string, signal?: AbortSignal): Promise<Blob> {
  return requestBlob(toApiPath(url), signal);
}

/** Whether a video task will change no more. */
export function isVideoFinished(status: VideoStatus | undefined): boolean {
  return status === 'completed' || status === 'failed';
}

/** How soon to read a task again: every second until it is completed or failed, then never. */
export function videoPollInterval(task: Pick<VideoTask, 'status'> | undefined): number | false {
  return task && isVideoFinished(task.status) ? false : VIDEO_POLL_MS;
}

/**
 * A video task, read every second until it is completed or failed; an error stops the polling
 * (the screen offers Try again: a 404 is a task of another workspace or none).
 */
export const videoTaskOptions = (taskId: string) =>
  queryOptions({
    queryKey: keys.creations.videoTask(taskId),
    queryFn: ({ signal }) => getVideoTask(taskId, signal),
    refetchInterval: (q) => (q.state.status === 'error' ? false : videoPollInterval(q.state.data)),
    refetchIntervalInBackground: true,
  });

export const useVideoTask = (taskId: string | null) => useQuery({ ...videoTaskOptions(taskId ?? ''), enabled: taskId !== null });

/* ---------- the stream client ---------- */

/** How the stream ended, for the caller (the events said it already). */
export type WritingOutcome = 'completed' | 'error' | 'failed' | 'lost' | 'cancelled';

export interface StreamWritingOptions {
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key`: the same key returns the first request's creation, charged once. */
  idempotencyKey?: string;
}

const SERVER_EVENTS = new Set<string>(['start', 'delta', 'restart', 'done', 'error']);

function errorData(e: unknown): WritingErrorData {
  if (e instanceof ApiError) {
    const d: WritingErrorData = { code: e.error_code, message: e.detail, retryable: e.retryable, status: e.status };
    if (e.field) d.field = e.field;
    return d;
  }
  const n = networkError(e);
  return { code: n.error_code, message: n.detail, retryable: true, status: 0 };
}

/** A fresh `Idempotency-Key` (one per Generate: a retry is a new request). */
export function newIdempotencyKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Writes with a tool and reports every event to `onEvent`: `begin`, then the server's (`start`,
 * `delta`…, `restart` when an attempt is retried, then `done` or `error`). A request refused
 * before the stream opens (402, 404, 422 with `field`) ends with `failed`. Aborting `signal` only
 * stops the reading (`cancelled`): the server finishes the generation and saves it, as it does
 * when the connection drops (`lost`); either way it is in the creations. Resolves with how it
 * ended; never rejects.
 */
export async function streamWriting(
  toolType: string,
  body: WritingRequest,
  onEvent: (e: WritingStreamEvent) => void,
  options: StreamWritingOptions = {},
): Promise<WritingOutcome> {
  const { signal, idempotencyKey } = options;
  onEvent({ type: 'begin' });
  let res: Response;
  try {
    res = await requestStream(CREATE_PATHS.stream(toolType), body, signal, idempotencyKey ? { headers: { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } } : undefined);
  } catch (e) {
    if (signal?.aborted) {
      onEvent({ type: 'cancelled' });
      return 'cancelled';
    }
    onEvent({ type: 'failed', error: errorData(e) });
    return 'failed';
  }
  const ended = (): WritingOutcome => {
    if (signal?.aborted) {
      onEvent({ type: 'cancelled' });
      return 'cancelled';
    }
    onEvent({ type: 'lost' });
    return 'lost';
  };
  if (!res.body) return ended();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = createSseEventParser();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      return ended();
    }
    if (chunk.done) return ended();
    for (const e of parser.push(decoder.decode(chunk.value, { stream: true }))) {
      if (!SERVER_EVENTS.has(e.event)) continue;
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        continue;
      }
      if (!data || typeof data !== 'object') continue;
      onEvent({ type: e.event, data } as WritingServerEvent);
      if (e.event === 'done' || e.event === 'error') {
        void reader.cancel().catch(() => undefined);
        return e.event === 'done' ? 'completed' : 'error';
      }
    }
  }
}

/* ---------- queries ---------- */

/** The tools, priced on a model (`''`: the default one). Their prices change rarely: read again after a minute. */
export const useWritingTools = (modelId = '') =>
  useQuery({ queryKey: keys.creations.tools(modelId), queryFn: ({ signal }) => listTools(modelId || undefined, signal), staleTime: 60_000 });

export const useCreations = (q: CreationsQuery, enabled = true) =>
  useQuery({ queryKey: keys.creations.list(q), queryFn: ({ signal }) => listCreations(q, signal), placeholderData: keepPreviousData, enabled });

export const useCreation = (id: string | null) =>
  useQuery({ queryKey: keys.creations.one(id ?? ''), queryFn: ({ signal }) => getCreation(id!, signal), enabled: id !== null });

/**
 * A model's name for a tool, a stream or a creation, which name it by id: the catalogue's
 * (`GET /models/{id}`, read once), or the id itself until then (and when it cannot be read: a
 * deleted model). Null for the built-in writer, which the screens name themselves.
 */
export function useModelName(modelId: string | null | undefined): string | null {
  const id = modelId && modelId !== BUILTIN_MODEL ? modelId : null;
  const { data } = useQuery({
    queryKey: [...keys.providers.all, 'model', id ?? ''],
    queryFn: ({ signal }) => getModel(id!, signal),
    enabled: id !== null,
    staleTime: Infinity,
    retry: false,
  });
  if (!id) return null;
  return data?.public_name || data?.name || id;
}

/** After a creation is made, saved, trashed, restored or opened as a project: the lists read afresh. */
export function refreshCreations(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: keys.creations.lists });
}

function dropFromLists(queryClient: QueryClient, id: string): void {
  queryClient.setQueriesData<Page<CreationItem>>({ queryKey: keys.creations.lists }, (d) =>
    d && d.items.some((i) => i.id === id) ? { ...d, items: d.items.filter((i) => i.id !== id), total: Math.max(0, d.total - 1) } : d,
  );
}

/** Trashes a creation: it leaves every cached list at once, then the lists are read afresh. */
export async function trashCreation(queryClient: QueryClient, id: string): Promise<Creation> {
  const c = await deleteCreation(id);
  dropFromLists(queryClient, id);
  queryClient.setQueryData(keys.creations.one(id), c);
  void refreshCreations(queryClient);
  return c;
}

/** Brings a trashed creation back (the toast's Undo, the trash's Restore). */
export async function restoreCreationEntry(queryClient: QueryClient, id: string): Promise<Creation> {
  const c = await restoreCreation(id);
  dropFromLists(queryClient, id);
  queryClient.setQueryData(keys.creations.one(id), c);
  void refreshCreations(queryClient);
  return c;
}

/** Saves a new title and/or content; the lists show it once read again. */
export async function saveCreation(queryClient: QueryClient, id: string, patch: CreationPatch): Promise<Creation> {
  const c = await updateCreation(id, patch);
  queryClient.setQueryData(keys.creations.one(id), c);
  void refreshCreations(queryClient);
  return c;
}

/** Makes a project of a short-video script; the project lists and the creation (now linked) read afresh. */
export async function openAsProject(queryClient: QueryClient, id: string): Promise<Project> {
  const p = await openCreationAsProject(id);
  void queryClient.invalidateQueries({ queryKey: keys.projects.all });
  void queryClient.invalidateQueries({ queryKey: keys.creations.one(id) });
  void refreshCreations(queryClient);
  return p;
}
