import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { queueShareAndCache, type QueuedShare } from '../../api/remoteShares';
import type { Export } from '../../api/types';
import { isTeamSignInError, queueShareBody } from '../../lib/queuedShares';
import { shareSubmitErrors, validateShareForm, type ShareForm } from '../../lib/shares';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { useShareFields } from './useShareForm';

export type QueueOutcome =
  | { kind: 'invalid'; errors: FieldErrors }
  | { kind: 'refused'; errors: FieldErrors; formError: string | null }
  /** Not signed in to a team server (422 `server_url`): the dialog says to sign in first. */
  | { kind: 'sign-in' }
  | { kind: 'queued'; share: QueuedShare };

/**
 * Checks the form, then queues the share (`POST /remote/shares`), putting it into the cached list
 * of this desktop's shares. A form the core would refuse is not sent; a refusal comes back as
 * errors for the fields it names (the browser form's mapping), or as "sign in first".
 */
export async function submitQueuedShare(queryClient: QueryClient, form: ShareForm, exportItem: Pick<Export, 'id'>, now: Date): Promise<QueueOutcome> {
  const errors = validateShareForm(form);
  if (hasErrors(errors)) return { kind: 'invalid', errors };
  try {
    return { kind: 'queued', share: await queueShareAndCache(queryClient, queueShareBody(form, exportItem, now)) };
  } catch (e) {
    if (isTeamSignInError(e)) return { kind: 'sign-in' };
    return { kind: 'refused', ...shareSubmitErrors(e) };
  }
}

/**
 * The desktop's share dialog: the form, then the share it queued (`queued`, followed by
 * `FollowedShare`), or "sign in first" when the core says the desktop is not signed in.
 */
export function useQueuedShareForm(exportItem: Pick<Export, 'id'>) {
  const queryClient = useQueryClient();
  const { form, change, errors, setErrors, formError, setFormError } = useShareFields();
  const [busy, setBusy] = useState(false);
  const [queued, setQueued] = useState<QueuedShare | null>(null);
  const [signIn, setSignIn] = useState(false);
  // Enter and a click in the same moment queue one share.
  const inFlight = useRef(false);

  /** Resolves with the outcome (the dialog focuses the first field in error). */
  async function submit(): Promise<QueueOutcome | null> {
    if (inFlight.current || queued) return null;
    inFlight.current = true;
    setBusy(true);
    setFormError(null);
    const out = await submitQueuedShare(queryClient, form, exportItem, new Date());
    inFlight.current = false;
    setBusy(false);
    if (out.kind === 'queued') setQueued(out.share);
    else if (out.kind === 'sign-in') setSignIn(true);
    else {
      setErrors(out.errors);
      if (out.kind === 'refused') setFormError(out.formError);
    }
    return out;
  }

  return { form, change, errors, formError, busy, queued, signIn, submit };
}
