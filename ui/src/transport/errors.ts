import { activeLocale, hasKey, t } from '../i18n';

/** The error body every 4xx/5xx response of the Storyloom API carries. */
export interface ErrorBody {
  detail: string;
  error_code: string;
  retryable: boolean;
  field?: string;
  retry_after?: number;
}

/** Codes produced on the client side, when there is no server answer to read. */
export const CLIENT_ERROR_CODES = {
  /** The request never got an HTTP answer (server down, offline, CORS, aborted). */
  network: 'NETWORK_ERROR',
  /** A 2xx answer whose body was not the JSON we expected. */
  badResponse: 'BAD_RESPONSE',
} as const;

/**
 * The one error type every transport throws. `status` is the HTTP status, or 0 when no
 * HTTP answer arrived at all.
 */
export class ApiError extends Error implements ErrorBody {
  readonly status: number;
  readonly detail: string;
  readonly error_code: string;
  readonly retryable: boolean;
  readonly field?: string;
  readonly retry_after?: number;

  constructor(status: number, body: ErrorBody) {
    super(body.detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = body.detail;
    this.error_code = body.error_code;
    this.retryable = body.retryable;
    if (body.field !== undefined) this.field = body.field;
    if (body.retry_after !== undefined) this.retry_after = body.retry_after;
  }

  /** A request refused for what it said: an unreadable one (400) or a field's value (422). */
  get isValidation(): boolean {
    return this.error_code === 'VALIDATION_ERROR' || this.error_code === 'BAD_REQUEST';
  }

  get isNotFound(): boolean {
    return this.status === 404 || this.error_code === 'NOT_FOUND';
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Default code for a status when the body did not carry one (e.g. a proxy's HTML page). */
function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 422:
      return 'VALIDATION_ERROR';
    case 401:
      return 'AUTH_REQUIRED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    case 502:
      return 'UPSTREAM_FAILED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : `HTTP_${status}`;
  }
}

function retryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Builds the ApiError for a non-2xx answer from its status and raw body text. A body in the
 * API's error format is taken as is; anything else (empty, HTML, other JSON) still yields a
 * usable error with a readable `detail`.
 */
export function parseErrorResponse(
  status: number,
  bodyText: string,
  statusText = '',
  retryAfterHeader?: string | null,
): ApiError {
  let parsed: unknown;
  try {
    parsed = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    parsed = undefined;
  }
  const headerRetry = retryAfterHeader ? Number.parseInt(retryAfterHeader, 10) : Number.NaN;

  const openai = openAIErrorOf(parsed);
  if (openai) return apiErrorFromOpenAI(status, openai, Number.isFinite(headerRetry) ? headerRetry : undefined);
  if (parsed && typeof parsed === 'object' && typeof (parsed as ErrorBody).detail === 'string') {
    const b = parsed as Partial<ErrorBody>;
    const body: ErrorBody = {
      detail: b.detail as string,
      error_code: typeof b.error_code === 'string' ? b.error_code : codeForStatus(status),
      retryable: typeof b.retryable === 'boolean' ? b.retryable : retryableStatus(status),
    };
    if (typeof b.field === 'string' && b.field) body.field = b.field;
    if (typeof b.retry_after === 'number') body.retry_after = b.retry_after;
    else if (Number.isFinite(headerRetry)) body.retry_after = headerRetry;
    return new ApiError(status, body);
  }

  const text = bodyText.trim();
  const looksLikeHtml = text.startsWith('<');
  const detail =
    text && !looksLikeHtml && text.length <= 300
      ? text
      : `${status}${statusText ? ` ${statusText}` : ''}: the server answered with an error`;
  const body: ErrorBody = {
    detail,
    error_code: codeForStatus(status),
    retryable: retryableStatus(status),
  };
  if (Number.isFinite(headerRetry)) body.retry_after = headerRetry;
  return new ApiError(status, body);
}

/** The error object of OpenAI's wire format, which the model router's `/v1` routes answer with. */
export interface OpenAIError {
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
}

/** `{"error": {message, type, code, param}}` read from a parsed body, or null when it is not one. */
export function openAIErrorOf(body: unknown): OpenAIError | null {
  if (!body || typeof body !== 'object') return null;
  const e = (body as { error?: unknown }).error;
  if (!e || typeof e !== 'object' || typeof (e as { message?: unknown }).message !== 'string') return null;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const o = e as Record<string, unknown>;
  return { message: o.message as string, type: str(o.type), code: str(o.code), param: str(o.param) };
}

/** OpenAI's error codes as the catalogue's (`errors.code.*`), so they read in the UI's language. */
const OPENAI_CODES: Record<string, string> = {
  invalid_api_key: 'AUTH_INVALID',
  insufficient_quota: 'CREDITS_EXCEEDED',
  rate_limit_exceeded: 'RATE_LIMITED',
  model_not_found: 'NOT_FOUND',
  model_not_allowed: 'FORBIDDEN',
};

/**
 * The ApiError for an OpenAI-shaped error. A 401 becomes AUTH_INVALID with the server's text, so
 * an expired session token is refreshed on `/v1` as on the rest of the API.
 */
export function apiErrorFromOpenAI(status: number, e: OpenAIError, retryAfter?: number): ApiError {
  const body: ErrorBody = {
    detail: e.message,
    error_code: (e.code && OPENAI_CODES[e.code]) || codeForStatus(status),
    retryable: retryableStatus(status),
  };
  if (e.param) body.field = e.param;
  if (retryAfter !== undefined) body.retry_after = retryAfter;
  return new ApiError(status, body);
}

/** The ApiError for a request that got no HTTP answer at all. */
export function networkError(cause: unknown): ApiError {
  const reason = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
  const err = new ApiError(0, {
    detail: `Cannot reach the Storyloom server${reason}`,
    error_code: CLIENT_ERROR_CODES.network,
    retryable: true,
  });
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/**
 * A user-facing message for any thrown value, in the UI's language. An API error reads as its
 * code's message from the catalogue (`errors.code.*`, naming the field when there is one), falling
 * back to the server's own `detail` for a code the catalogue does not know. The server writes its
 * details in English, the most precise wording there is, so the English UI shows them as they are.
 */
export function errorMessage(e: unknown, locale: string = activeLocale()): string {
  if (e instanceof ApiError) return apiErrorMessage(e, locale);
  if (e instanceof Error && e.message) return e.message;
  return t('errors.unknown', { lng: locale });
}

/** The catalogue's message for an API error (see errorMessage). */
export function apiErrorMessage(e: Pick<ErrorBody, 'detail' | 'error_code' | 'field'>, locale: string = activeLocale()): string {
  const key = `errors.code.${e.error_code}`;
  const known = hasKey(key);
  if (e.detail && (locale === 'en' || !known)) return e.detail;
  if (!known) return t('errors.unknown', { lng: locale });
  const message = t(key as never, { lng: locale }) as string;
  if (!e.field) return message;
  const fieldKey = `errors.field.${e.field}`;
  const field = hasKey(fieldKey) ? (t(fieldKey as never, { lng: locale }) as string) : e.field;
  return t('errors.withField', { lng: locale, field, message });
}

/** The message for an error shown next to its own field (so without naming the field again). */
export function fieldErrorMessage(e: unknown, locale: string = activeLocale()): string {
  if (e instanceof ApiError) return apiErrorMessage({ detail: e.detail, error_code: e.error_code }, locale);
  return errorMessage(e, locale);
}
