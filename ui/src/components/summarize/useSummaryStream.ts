import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { keys } from '../../api/queries';
import {
  INITIAL_STREAM_STATE,
  refreshHistory,
  streamSummary,
  summaryStreamReducer,
  type SummarizeInput,
  type SummaryStreamState,
} from '../../api/summarize';

export interface SummaryStream {
  state: SummaryStreamState;
  /** Starts a summary (a running one is stopped first). */
  start: (input: SummarizeInput) => void;
  /** Stops reading the stream: the server interrupts the work (free) if nobody comes back for it. */
  cancel: () => void;
  /** Forgets the last run's state (back to the form). */
  reset: () => void;
}

/**
 * One summary's stream as screen state (`summaryStreamReducer`). Unmounting stops reading it.
 * Once a summary is made (or the stream is lost: it may have been), the history lists and the
 * balance are read afresh.
 */
export function useSummaryStream(): SummaryStream {
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(summaryStreamReducer, INITIAL_STREAM_STATE);
  const ctrlRef = useRef<AbortController | null>(null);

  const start = useCallback(
    (input: SummarizeInput) => {
      ctrlRef.current?.abort();
      const ctrl = new AbortController();
      ctrlRef.current = ctrl;
      void streamSummary(input, (e) => {
        if (ctrlRef.current === ctrl) dispatch(e);
      }, { signal: ctrl.signal }).then((outcome) => {
        if (outcome === 'completed' || outcome === 'lost') {
          void refreshHistory(queryClient);
          void queryClient.invalidateQueries({ queryKey: keys.credits.all });
        }
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
