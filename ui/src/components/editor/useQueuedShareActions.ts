import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { cancelShareAndCache, sendShareAndCache, type QueuedShare } from '../../api/remoteShares';
import { errorMessage } from '../../transport';

/** A record without one key. */
function without<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const next = { ...record };
  delete next[key];
  return next;
}

/** What is being asked of a queued share. */
export type QueuedShareAction = 'send' | 'cancel';

/**
 * "Send now" / "Try again" and "Cancel" on the desktop's shares: what is in flight and the last
 * refusal, per share (a long Send now does not hold up the other rows). The answers go into the
 * cached list, which every view of the share reads.
 */
export function useQueuedShareActions() {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<Readonly<Record<string, QueuedShareAction>>>({});
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  // A double click sends one request (state updates only on the next render).
  const inFlight = useRef(new Set<string>());

  const run = useCallback(
    async (id: string, action: QueuedShareAction): Promise<QueuedShare | null> => {
      if (inFlight.current.has(id)) return null;
      inFlight.current.add(id);
      setPending((p) => ({ ...p, [id]: action }));
      setErrors((x) => without(x, id));
      try {
        return await (action === 'send' ? sendShareAndCache : cancelShareAndCache)(queryClient, id);
      } catch (e) {
        setErrors((x) => ({ ...x, [id]: errorMessage(e) }));
        return null;
      } finally {
        inFlight.current.delete(id);
        setPending((p) => without(p, id));
      }
    },
    [queryClient],
  );

  return {
    pendingOf: (id: string): QueuedShareAction | null => pending[id] ?? null,
    errorOf: (id: string): string | null => errors[id] ?? null,
    send: (id: string) => run(id, 'send'),
    cancel: (id: string) => run(id, 'cancel'),
  };
}
