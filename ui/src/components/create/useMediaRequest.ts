import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { newIdempotencyKey, refreshCreations } from '../../api/create';
import { keys } from '../../api/queries';

export type MediaRequestStatus = 'idle' | 'sending' | 'done' | 'error';

export interface MediaRequestState<B, R> {
  status: MediaRequestStatus;
  result: R | null;
  error: unknown;
  /** When the request under way was sent (ms), for the elapsed time. */
  since: number | null;
  /** The last request: Try again sends it once more with the same `Idempotency-Key`. */
  last: { body: B; key: string } | null;
}

export interface MediaRequest<B, R> {
  state: MediaRequestState<B, R>;
  /** Sends a new request (a fresh `Idempotency-Key`). */
  start: (body: B) => void;
  /** The last request again, with its key: if the first one went through, its creation comes back, charged once. */
  retry: () => void;
  reset: () => void;
}

const IDLE = { status: 'idle', result: null, error: null, since: null, last: null } as const;

/**
 * One request that makes a creation (a deck, an image): sending, then its result or its error.
 * Once it is made, the creations lists and the balance are read afresh. Leaving the page does not
 * stop it (the server saves it in Creations all the same); its answer is then ignored.
 */
export function useMediaRequest<B, R>(send: (body: B, idempotencyKey: string) => Promise<R>): MediaRequest<B, R> {
  const queryClient = useQueryClient();
  const [state, setState] = useState<MediaRequestState<B, R>>(IDLE);
  const current = useRef(0);
  const sendRef = useRef(send);
  sendRef.current = send;

  useEffect(() => {
    current.current = 0;
    return () => {
      current.current = -1;
    };
  }, []);

  const run = useCallback(
    (body: B, key: string) => {
      const n = current.current + 1;
      current.current = n;
      setState({ status: 'sending', result: null, error: null, since: Date.now(), last: { body, key } });
      sendRef.current(body, key).then(
        (result) => {
          void refreshCreations(queryClient);
          void queryClient.invalidateQueries({ queryKey: keys.credits.all });
          if (current.current === n) setState((s) => ({ ...s, status: 'done', result, since: null }));
        },
        (error: unknown) => {
          if (current.current === n) setState((s) => ({ ...s, status: 'error', error, since: null }));
        },
      );
    },
    [queryClient],
  );

  const start = useCallback((body: B) => run(body, newIdempotencyKey()), [run]);
  const retry = useCallback(() => {
    if (state.last) run(state.last.body, state.last.key);
  }, [run, state.last]);
  const reset = useCallback(() => {
    current.current += 1;
    setState(IDLE);
  }, []);

  return { state, start, retry, reset };
}
