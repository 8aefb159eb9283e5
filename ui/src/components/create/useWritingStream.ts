import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { newIdempotencyKey, refreshCreations, streamWriting, type WritingRequest } from '../../api/create';
import { keys } from '../../api/queries';
import { INITIAL_WRITING_STATE, writingStreamReducer, type WritingStreamState } from '../../lib/create';

export interface WritingStream {
  state: WritingStreamState;
  /** Starts a generation (one under way is no longer watched first). */
  start: (toolType: string, body: WritingRequest) => void;
  /** Stops watching: the fetch is aborted; the server finishes the text and saves it all the same. */
  cancel: () => void;
  /** Forgets the last run (back to an empty preview). */
  reset: () => void;
}

/**
 * One generation's stream as screen state (`writingStreamReducer`). Each start sends a fresh
 * `Idempotency-Key`. Once it ends (done, lost or no longer watched: the server saves it in each
 * case), the creations lists and the balance are read afresh. Unmounting stops watching.
 */
export function useWritingStream(): WritingStream {
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(writingStreamReducer, INITIAL_WRITING_STATE);
  const ctrlRef = useRef<AbortController | null>(null);

  const start = useCallback(
    (toolType: string, body: WritingRequest) => {
      ctrlRef.current?.abort();
      const ctrl = new AbortController();
      ctrlRef.current = ctrl;
      void streamWriting(
        toolType,
        body,
        (e) => {
          if (ctrlRef.current === ctrl) dispatch(e);
        },
        { signal: ctrl.signal, idempotencyKey: newIdempotencyKey() },
      ).then((outcome) => {
        // Refused before the stream: nothing was made or held.
        if (outcome === 'failed') return;
        void refreshCreations(queryClient);
        void queryClient.invalidateQueries({ queryKey: keys.credits.all });
      });
    },
    [queryClient],
  );

  const cancel = useCallback(() => ctrlRef.current?.abort(), []);

  const reset = useCallback(() => {
    ctrlRef.current?.abort();
    ctrlRef.current = null;
    dispatch({ type: 'reset' });
  }, []);

  useEffect(() => () => ctrlRef.current?.abort(), []);

  return { state, start, cancel, reset };
}
