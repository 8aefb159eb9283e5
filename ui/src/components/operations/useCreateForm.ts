import { useState } from 'react';
import { formServerErrors } from '../../lib/operations';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { errorMessage } from '../../transport';

/**
 * An admin's create form (a coupon, an activity): its values, the errors on its fields, a busy
 * flag and submit. Submit checks the form first, then creates; a server refusal that names one of
 * `fields` (or a 409, on `conflictField`) lands on that field, anything else above the button.
 * Created, the form is emptied and `onCreated` runs.
 */
export function useCreateForm<F extends object, C>(opts: {
  empty: F;
  validate: (form: F) => FieldErrors;
  create: (form: F) => Promise<C>;
  onCreated: (created: C) => void;
  fields: readonly string[];
  conflictField?: string;
}) {
  const [form, setForm] = useState<F>(opts.empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    if (busy) return;
    const found = opts.validate(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const created = await opts.create(form);
      setForm(opts.empty);
      opts.onCreated(created);
    } catch (e) {
      const onFields = formServerErrors(e, opts.fields, opts.conflictField);
      if (onFields) setErrors(onFields);
      else setFormError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  /** Changes some values and clears the errors of those fields. */
  function onChange(patch: Partial<F>) {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[k];
      return next;
    });
  }

  return { form, errors, formError, busy, onChange, submit: () => void submit() };
}
