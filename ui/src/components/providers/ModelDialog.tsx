import { useState, type FormEvent } from 'react';
import { createModel, deleteModel, updateModel } from '../../api/providers';
import type { Model, Provider } from '../../api/types';
import {
  ADAPTER_KINDS,
  emptyModelForm,
  modelErrorField,
  modelFormFromModel,
  modelPatch,
  newModelBody,
  validateModelForm,
  type ModelForm,
} from '../../lib/providers';
import { t, useLocale } from '../../i18n';
import type { FieldErrors } from '../../lib/validation';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { ModelFields } from './ModelFields';

/** The components' strings, in one place for a later translation pass. */
/** The screen's strings (src/locales, `modelDialog.*`), read in the active language. */
const S = {
  addTitle: (provider: string) => t('modelDialog.addTitle', { provider }),
  editTitle: (name: string) => t('modelDialog.editTitle', { name }),
  get active() {
    return t('modelDialog.active');
  },
  get cancel() {
    return t('modelDialog.cancel');
  },
  get save() {
    return t('modelDialog.save');
  },
  get saving() {
    return t('modelDialog.saving');
  },
  get deleteTitle() {
    return t('modelDialog.deleteTitle');
  },
  get deleteText() {
    return t('modelDialog.deleteText');
  },
  get delete() {
    return t('modelDialog.delete');
  },
  get deleting() {
    return t('modelDialog.deleting');
  },
};

interface Props {
  provider: Provider;
  /** Edit this model; absent: add one to the provider. */
  model?: Model;
  onClose: () => void;
  onSaved: (m: Model, created: boolean) => void;
}

export function ModelDialog({ provider, model, onClose, onSaved }: Props) {
  useLocale(); // re-render on a language switch: S reads the active language
  const [form, setForm] = useState<ModelForm>(() => (model ? modelFormFromModel(model) : emptyModelForm(ADAPTER_KINDS[provider.adapter][0])));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  function update(patch: Partial<ModelForm>) {
    setForm((f) => ({ ...f, ...patch }));
    const keys = Object.keys(patch).map((k) => (k === 'name' ? 'model_display_name' : k));
    if (keys.some((k) => errors[k])) setErrors((e) => ({ ...e, ...Object.fromEntries(keys.map((k) => [k, undefined])) }));
  }

  const focus = (field: string) => document.querySelector<HTMLElement>(`[data-testid="model-dialog"] [data-field="${field}"]`)?.focus();

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (saving) return;
    const found = validateModelForm(form, provider.adapter);
    setErrors(found);
    setFormError(null);
    const first = Object.keys(found).find((k) => found[k]);
    if (first) {
      focus(first);
      return;
    }
    setSaving(true);
    try {
      const saved = model ? await updateModel(model.id, modelPatch(form, model, provider.adapter)) : await createModel(newModelBody(form, provider));
      onSaved(saved, !model);
      onClose();
    } catch (err) {
      const field = modelErrorField(err);
      if (field) {
        setErrors({ [field]: errorMessage(err) });
        focus(field);
      } else {
        setFormError(errorMessage(err));
      }
      setSaving(false);
    }
  }

  return (
    <Modal title={model ? S.editTitle(model.name) : S.addTitle(provider.name)} onClose={onClose} busy={saving} size="lg" testId="model-dialog">
      <form className="modal-body form pv-form" onSubmit={submit} noValidate>
        <ModelFields form={form} onChange={update} errors={errors} adapter={provider.adapter} kindEditable={!model} idPrefix="md" />
        {model && (
          <label className="checkbox-row">
            <input type="checkbox" checked={form.is_active} data-testid="model-active-input" onChange={(e) => update({ is_active: e.target.checked })} />
            <span>{S.active}</span>
          </label>
        )}
        {formError && (
          <p className="form-error" role="alert" data-testid="model-form-error">
            {formError}
          </p>
        )}
        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={saving}>
            {S.cancel}
          </button>
          <button type="submit" className="button primary" data-testid="save-model" disabled={saving}>
            {saving ? S.saving : S.save}
          </button>
        </footer>
      </form>
    </Modal>
  );
}

/** Confirms deleting a model; a refusal (409 while it is a default) is shown in the dialog, which stays open. */
export function DeleteModelDialog({ model, onClose, onDeleted }: { model: Model; onClose: () => void; onDeleted: () => void }) {
  useLocale(); // re-render on a language switch: S reads the active language
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await deleteModel(model.id);
      onDeleted();
      onClose();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <Modal title={S.deleteTitle} onClose={onClose} busy={busy} size="sm" testId="delete-model-dialog" initialFocus='[data-testid="cancel-delete-model"]'>
      <div className="modal-body">
        <p className="confirm-text">
          <strong className="confirm-name">{model.name}</strong> (<code>{model.model_name}</code>) {S.deleteText}
        </p>
        {error && (
          <p className="form-error" role="alert" data-testid="delete-model-error">
            {error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-delete-model">
          {S.cancel}
        </button>
        <button type="button" className="button danger" onClick={() => void confirm()} disabled={busy} data-testid="confirm-delete-model">
          {busy ? S.deleting : S.delete}
        </button>
      </footer>
    </Modal>
  );
}
