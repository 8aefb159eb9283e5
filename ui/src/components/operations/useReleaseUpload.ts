import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useT } from '../../i18n';
import { EMPTY_RELEASE_FORM, RELEASE_FIELDS, platformLabel, readSignatureFile, submitRelease, type ReleaseForm } from '../../lib/releases';
import type { FieldErrors } from '../../lib/validation';
import { useToasts } from '../Toasts';

function focusField(name: string | undefined) {
  if (name) document.querySelector<HTMLElement>(`[data-testid="release-form"] [data-field="${name}"]`)?.focus();
}

/**
 * The upload form of a desktop build: its values, the errors on its fields (a 409 under the
 * version, a refused signature under the signature), the signature read from a chosen `.sig`
 * file, a busy flag and submit (a refused one moves focus to the first field in error). Uploaded, the form empties (`formKey` changes, so the file inputs
 * do too) and the list reads again.
 */
export function useReleaseUpload() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ReleaseForm>(EMPTY_RELEASE_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);

  /** Changes some values and clears the errors of those fields. */
  function onChange(patch: Partial<ReleaseForm>) {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[k];
      return next;
    });
  }

  async function submit() {
    if (busy) return;
    setBusy(true);
    setFormError(null);
    try {
      const result = await submitRelease(queryClient, form);
      if (result.kind === 'refused') {
        setErrors(result.errors);
        setFormError(result.formError);
        focusField(RELEASE_FIELDS.find((f) => result.errors[f]));
        return;
      }
      setErrors({});
      setForm(EMPTY_RELEASE_FORM);
      setFormKey((k) => k + 1);
      toasts.show({ kind: 'success', message: t('operations.releases.uploaded', { version: result.release.version, platform: platformLabel(result.release) }) });
    } finally {
      setBusy(false);
    }
  }

  /** Puts a chosen `.sig` file's content in the signature field. */
  async function onSignatureFile(file: File | null) {
    if (!file) return;
    try {
      onChange({ signature: await readSignatureFile(file) });
    } catch {
      setErrors((e) => ({ ...e, signature: t('operations.releases.signatureUnreadable') }));
    }
  }

  return {
    form,
    errors,
    formError,
    busy,
    formKey,
    onChange,
    onSignatureFile: (file: File | null) => void onSignatureFile(file),
    submit: () => void submit(),
  };
}
