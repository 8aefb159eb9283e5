/**
 * The team server's model router: its OpenAI-compatible catalog and chat at `/v1`, one's own
 * usage rows (`/api/v1/router/requests`) and the usage statistics (`/api/v1/statistics`). These
 * routes are not in the OpenAPI document, so their shapes are written here (src/api/openai.rs,
 * src/router/store.rs, src/router/stats.rs). The session's bearer token works on `/v1` too.
 */
import { ApiError, apiErrorFromOpenAI, openAIErrorOf, request, requestStream, type OpenAIError } from '../transport';
import { networkError } from '../transport/errors';
import { createSseParser } from '../lib/sse';
import { apiPath, query } from './paths';

export const ROUTER_PATHS = {
  models: '/v1/models',
  chat: '/v1/chat/completions',
  requests: '/api/v1/router/requests',
  myUsage: '/api/v1/statistics/users/me/usage',
  leaderboard: '/api/v1/statistics/leaderboard',
} as const;

/** The header of a router answer naming its usage row. */
export const USAGE_ID_HEADER = 'x-usage-id';

export type RouterModelKind = 'llm' | 'image' | 'tts' | 'asr' | 'embedding';

export interface RouterPricing {
  /** Credits per 1,000 input tokens (llm), or per `unit`. */
  credits_in: number;
  /** Credits per 1,000 output tokens (llm). */
  credits_out: number;
  /** `1k_tokens`, `image`, `1k_chars`, `minute`… */
  unit: string;
}

/** One public model name the caller may call. */
export interface RouterModel {
  id: string;
  object: 'model';
  created: number;
  /** The provider's name. */
  owned_by: string;
  kind: RouterModelKind;
  pricing: RouterPricing;
}

export interface RouterModelList {
  object: 'list';
  data: RouterModel[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One router request as its usage row records it. */
export interface UsageRow {
  id: string;
  user_id: string;
  api_key_id: string | null;
  /** `chat.completions`, `images.generations`. */
  endpoint: string;
  public_model: string;
  model_id: string | null;
  provider_id: string | null;
  stream: boolean;
  /** `open` while it runs, then `done`. */
  status: 'open' | 'done';
  /** `completed`, `client_disconnected`, `upstream_error`, `stalled`, `insufficient_credits`… (null while open). */
  end_reason: string | null;
  price_in: number;
  price_out: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The upstream reported no usage: the tokens were counted from the text. */
  usage_estimated: boolean;
  credits: number;
  attempts: number;
  http_status: number | null;
  error: string | null;
  first_token_ms: number | null;
  latency_ms: number | null;
  created_at: string;
  finished_at: string | null;
}

export const PERIODS = ['day', 'week', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

export interface UsageTotals {
  requests: number;
  /** Requests that ended without an answer. */
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  credits: number;
}

/** One hour with usage (hours without any are absent). */
export interface UsageBucket extends UsageTotals {
  /** `YYYY-MM-DDTHH:00:00Z`. */
  hour: string;
}

export interface MyUsage {
  period: Period;
  since: string;
  totals: UsageTotals;
  buckets: UsageBucket[];
  by_model: { model: string; totals: UsageTotals }[];
}

export interface RankedModel {
  rank: number;
  model: string;
  category: string;
  requests: number;
  users: number;
  prompt_tokens: number;
  completion_tokens: number;
  credits: number;
}

export interface Leaderboard {
  period: Period;
  since: string;
  category: string | null;
  items: RankedModel[];
}

export function listRouterModels(signal?: AbortSignal): Promise<RouterModelList> {
  return request<RouterModelList>('GET', ROUTER_PATHS.models, undefined, signal);
}

export function listRouterRequests(limit: number, signal?: AbortSignal): Promise<{ items: UsageRow[] }> {
  return request<{ items: UsageRow[] }>('GET', `${ROUTER_PATHS.requests}${query({ limit })}`, undefined, signal);
}

export function getRouterRequest(id: string, signal?: AbortSignal): Promise<UsageRow> {
  return request<UsageRow>('GET', apiPath('router', 'requests', id), undefined, signal);
}

export function getMyUsage(period: Period, signal?: AbortSignal): Promise<MyUsage> {
  return request<MyUsage>('GET', `${ROUTER_PATHS.myUsage}${query({ period })}`, undefined, signal);
}

export function getLeaderboard(period: Period, limit: number, signal?: AbortSignal): Promise<Leaderboard> {
  return request<Leaderboard>('GET', `${ROUTER_PATHS.leaderboard}${query({ period, limit })}`, undefined, signal);
}

/* ---------- streamed chat ---------- */

/** What one `data:` payload of a streamed chat says. */
export type ChatChunk =
  | { kind: 'done' }
  | { kind: 'error'; error: OpenAIError }
  | { kind: 'delta'; text: string; usage: TokenUsage | null };

/** Reads one event of a streamed chat completion; an unreadable one says nothing (`delta` ''). */
export function readChatChunk(data: string): ChatChunk {
  if (data.trim() === '[DONE]') return { kind: 'done' };
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { kind: 'delta', text: '', usage: null };
  }
  const error = openAIErrorOf(v);
  if (error) return { kind: 'error', error };
  const chunk = (v ?? {}) as { choices?: { delta?: { content?: unknown } }[]; usage?: Partial<TokenUsage> | null };
  const text = (chunk.choices ?? []).map((c) => (typeof c?.delta?.content === 'string' ? c.delta.content : '')).join('');
  const u = chunk.usage;
  const usage =
    u && typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number'
      ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }
      : null;
  return { kind: 'delta', text, usage };
}

export interface ChatStreamResult {
  /** The usage row of the request (null when the router refused it before making one). */
  usageId: string | null;
  /**
   * `done`: `data: [DONE]` arrived; `error`: refused, or an error event mid-stream; `cut`: the
   * answer ended without [DONE]; `aborted`: stopped through the signal.
   */
  end: 'done' | 'error' | 'cut' | 'aborted';
  error: ApiError | null;
  /** The usage the stream reported, if it did. */
  usage: TokenUsage | null;
}

/**
 * Sends a chat with `stream: true` and calls `onText` with each piece of the answer as it arrives.
 * Never rejects: every ending, a refusal included, is in the result.
 */
export async function streamChat(body: ChatRequest, onText: (text: string) => void, signal?: AbortSignal): Promise<ChatStreamResult> {
  let usageId: string | null = null;
  let usage: TokenUsage | null = null;
  const ended = (end: ChatStreamResult['end'], error: ApiError | null = null): ChatStreamResult => ({ usageId, end, error, usage });
  try {
    const res = await requestStream(ROUTER_PATHS.chat, { ...body, stream: true, stream_options: { include_usage: true } }, signal);
    usageId = res.headers.get(USAGE_ID_HEADER);
    if (!res.body) return ended('cut');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = createSseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return ended('cut');
      for (const data of parser.push(decoder.decode(value, { stream: true }))) {
        const chunk = readChatChunk(data);
        if (chunk.kind === 'done' || chunk.kind === 'error') {
          void reader.cancel().catch(() => undefined);
          // An error event comes from the upstream once the answer had started: a 502 in effect.
          return chunk.kind === 'done' ? ended('done') : ended('error', apiErrorFromOpenAI(502, chunk.error));
        }
        if (chunk.usage) usage = chunk.usage;
        if (chunk.text) onText(chunk.text);
      }
    }
  } catch (e) {
    if (signal?.aborted) return ended('aborted');
    return ended('error', e instanceof ApiError ? e : networkError(e));
  }
}
