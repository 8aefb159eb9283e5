import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { createShare, refreshShares } from '../../api/shares';
import { shareSummary } from '../../api/summarize';
import type { Export, Share } from '../../api/types';
import {
  DEFAULT_SHARE_FORM,
  copyShareLink,
  newShareBody,
  newSummaryShareBody,
  shareSubmitErrors,
  validateShareForm,
  type ShareForm,
  type ShareSubject,
} from '../../lib/shares';
import { hasErrors, type FieldErrors } from '../../lib/validation';

export type CopyState = 'idle' | 'copied' | 'failed';

export type ShareOutcome =
  | { kind: 'invalid'; errors: FieldErrors }
  | { kind: 'refused'; errors: FieldErrors; formError: string | null }
  | { kind: 'created'; share: Share };

/**
 * Checks the form, then makes the link with `send`. A form the server would refuse (a short
 * password) is not sent; a refusal comes back as errors for the fields it names, or one for the
 * whole form.
 */
async function submitWith(form: ShareForm, send: () => Promise<Share>): Promise<ShareOutcome> {
  const errors = validateShareForm(form);
  if (hasErrors(errors)) return { kind: 'invalid', errors };
  try {
    return { kind: 'created', share: await send() };
  } catch (e) {
    return { kind: 'refused', ...shareSubmitErrors(e) };
  }
}

/** A link to a completed export (`POST /share`). */
export function submitShare(form: ShareForm, exportItem: Pick<Export, 'id' | 'project_id'>, now: Date): Promise<ShareOutcome> {
  return submitWith(form, () => createShare(newShareBody(form, exportItem, now)));
}

/** A link to a summary of the history (`POST /history/{id}/share`). */
export function submitSummaryShare(form: ShareForm, summaryId: string, now: Date): Promise<ShareOutcome> {
  return submitWith(form, () => shareSummary(summaryId, newSummaryShareBody(form, now)));
}

/** A link to what the dialog shares, whichever it is. */
export function submitSubjectShare(form: ShareForm, subject: ShareSubject, now: Date): Promise<ShareOutcome> {
  return subject.kind === 'export' ? submitShare(form, subject.exportItem, now) : submitSummaryShare(form, subject.summaryId, now);
}

/**
 * The share form's fields and their errors (the browser's dialog and the desktop's both use it).
 * A change clears the changed field's error and the form's.
 */
export function useShareFields() {
  const [form, setForm] = useState<ShareForm>(DEFAULT_SHARE_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  const change = useCallback((patch: Partial<ShareForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((x) => ({ ...x, ...Object.fromEntries(Object.keys(patch).map((k) => [k, undefined])) }));
    setFormError(null);
  }, []);

  return { form, change, errors, setErrors, formError, setFormError };
}

/** Copies a link and remembers whether it worked (the Copy button says so). */
export function useCopyLink() {
  const [copy, setCopy] = useState<CopyState>('idle');
  const copyLink = useCallback(async (url: string): Promise<boolean> => {
    const ok = await copyShareLink(url);
    setCopy(ok ? 'copied' : 'failed');
    return ok;
  }, []);
  return { copy, copyLink };
}

/**
 * The share dialog's state: the form, its errors, the request in flight, the link once made, the
 * copy. Once made, the lists of links are read afresh (the new one shows in `SharedLinks`).
 */
export function useShareForm(subject: ShareSubject) {
  const queryClient = useQueryClient();
  const { form, change, errors, setErrors, formError, setFormError } = useShareFields();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Share | null>(null);
  const { copy, copyLink } = useCopyLink();
  // Enter and a click in the same moment send one request (state updates only on the next render).
  const inFlight = useRef(false);

  /** Resolves with the outcome (the dialog focuses the first field in error). */
  async function submit(): Promise<ShareOutcome | null> {
    if (inFlight.current || created) return null;
    inFlight.current = true;
    setBusy(true);
    setFormError(null);
    const out = await submitSubjectShare(form, subject, new Date());
    inFlight.current = false;
    setBusy(false);
    if (out.kind === 'created') {
      setCreated(out.share);
      void refreshShares(queryClient);
    } else {
      setErrors(out.errors);
      if (out.kind === 'refused') setFormError(out.formError);
    }
    return out;
  }

  return { form, change, errors, formError, busy, created, copy, submit, copyLink };
}
