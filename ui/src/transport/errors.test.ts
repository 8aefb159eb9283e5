import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, isApiError, networkError, parseErrorResponse } from './errors';

describe('parseErrorResponse', () => {
  it('takes every field of the API error body', () => {
    const e = parseErrorResponse(
      422,
      JSON.stringify({ detail: 'name must not be empty', error_code: 'VALIDATION_ERROR', retryable: false, field: 'name' }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(422);
    expect(e.detail).toBe('name must not be empty');
    expect(e.message).toBe('name must not be empty');
    expect(e.error_code).toBe('VALIDATION_ERROR');
    expect(e.retryable).toBe(false);
    expect(e.field).toBe('name');
    expect(e.isValidation).toBe(true);
    expect(e.isNotFound).toBe(false);
  });

  it('leaves field undefined when the body has none', () => {
    const e = parseErrorResponse(404, '{"detail":"project x not found","error_code":"NOT_FOUND","retryable":false}');
    expect(e.field).toBeUndefined();
    expect(e.isNotFound).toBe(true);
  });

  it('keeps retryable and retry_after of a rate-limit answer', () => {
    const e = parseErrorResponse(
      429,
      '{"detail":"slow down","error_code":"RATE_LIMITED","retryable":true,"retry_after":7}',
    );
    expect(e.retryable).toBe(true);
    expect(e.retry_after).toBe(7);
  });

  it('falls back to the Retry-After header when the body has no retry_after', () => {
    const e = parseErrorResponse(503, '{"detail":"busy","error_code":"SERVICE_UNAVAILABLE","retryable":true}', '', '12');
    expect(e.retry_after).toBe(12);
  });

  it('fills error_code and retryable from the status when the body lacks them', () => {
    const e = parseErrorResponse(503, '{"detail":"maintenance"}');
    expect(e.detail).toBe('maintenance');
    expect(e.error_code).toBe('SERVICE_UNAVAILABLE');
    expect(e.retryable).toBe(true);
  });

  it('uses a short plain-text body as the detail', () => {
    const e = parseErrorResponse(500, 'database is locked', 'Internal Server Error');
    expect(e.detail).toBe('database is locked');
    expect(e.error_code).toBe('INTERNAL');
    expect(e.retryable).toBe(false);
  });

  it('does not show an HTML error page as the detail', () => {
    const e = parseErrorResponse(502, '<html><body><h1>Bad Gateway</h1></body></html>', 'Bad Gateway');
    expect(e.detail).toBe('502 Bad Gateway: the server answered with an error');
    expect(e.error_code).toBe('UPSTREAM_FAILED');
    expect(e.retryable).toBe(true);
  });

  it('handles an empty body', () => {
    const e = parseErrorResponse(404, '', 'Not Found');
    expect(e.detail).toBe('404 Not Found: the server answered with an error');
    expect(e.error_code).toBe('NOT_FOUND');
  });

  it('treats JSON without a string detail as not being an API error body', () => {
    const e = parseErrorResponse(400, '{"error":"nope"}', 'Bad Request');
    expect(e.error_code).toBe('BAD_REQUEST');
    expect(e.isValidation).toBe(true);
    expect(e.detail).toBe('{"error":"nope"}');
  });

  it('ignores an empty field string', () => {
    const e = parseErrorResponse(422, '{"detail":"bad","error_code":"VALIDATION_ERROR","retryable":false,"field":""}');
    expect(e.field).toBeUndefined();
  });
});

describe('OpenAI-shaped errors (the model router at /v1)', () => {
  const body = (error: Record<string, unknown>) => JSON.stringify({ error });

  it('reads message, code and param, in the catalogue\'s codes', () => {
    const quota = parseErrorResponse(402, body({ message: 'may cost up to 163 credits', type: 'insufficient_quota', param: null, code: 'insufficient_quota' }));
    expect(quota).toMatchObject({ status: 402, detail: 'may cost up to 163 credits', error_code: 'CREDITS_EXCEEDED', retryable: false });
    expect(quota.field).toBeUndefined();
    const model = parseErrorResponse(404, body({ message: 'The model `x` does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' }));
    expect(model).toMatchObject({ error_code: 'NOT_FOUND', field: 'model' });
    expect(parseErrorResponse(403, body({ message: 'this API key may not call `x`', type: 'permission_error', code: 'model_not_allowed' })).error_code).toBe('FORBIDDEN');
    expect(parseErrorResponse(401, body({ message: 'the access token has expired', type: 'invalid_request_error', code: 'invalid_api_key' })).error_code).toBe('AUTH_INVALID');
  });

  it('falls back to the status for other codes, and keeps Retry-After', () => {
    const limited = parseErrorResponse(429, body({ message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' }), '', '12');
    expect(limited).toMatchObject({ error_code: 'RATE_LIMITED', retryable: true, retry_after: 12 });
    const invalid = parseErrorResponse(422, body({ message: 'max_tokens is a positive integer', type: 'invalid_request_error', param: 'max_tokens', code: 'validation_error' }));
    expect(invalid).toMatchObject({ error_code: 'VALIDATION_ERROR', field: 'max_tokens', detail: 'max_tokens is a positive integer' });
    expect(parseErrorResponse(502, body({ message: 'every channel failed', type: 'api_error', code: null }))).toMatchObject({ error_code: 'UPSTREAM_FAILED', retryable: true });
  });

  it('is not fooled by an `error` that is no OpenAI error object', () => {
    expect(parseErrorResponse(500, JSON.stringify({ error: 'boom' })).detail).toBe('{"error":"boom"}');
  });
});

describe('networkError / errorMessage', () => {
  it('is a retryable status-0 ApiError that mentions the cause', () => {
    const e = networkError(new TypeError('Failed to fetch'));
    expect(isApiError(e)).toBe(true);
    expect(e.status).toBe(0);
    expect(e.error_code).toBe('NETWORK_ERROR');
    expect(e.retryable).toBe(true);
    expect(e.detail).toContain('Failed to fetch');
  });

  it('gives the detail of an ApiError, the message of an Error, and a fallback otherwise', () => {
    expect(errorMessage(parseErrorResponse(409, '{"detail":"already exists","error_code":"CONFLICT","retryable":false}'))).toBe(
      'already exists',
    );
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('weird')).toBe('Something went wrong');
    expect(isApiError(new Error('x'))).toBe(false);
  });
});
