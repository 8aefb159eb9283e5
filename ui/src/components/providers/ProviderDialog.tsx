import { useRef, useState, type FormEvent } from 'react';
import { createModel, createProvider, updateProvider } from '../../api/providers';
import type { Adapter, Provider } from '../../api/types';
import {
  ADAPTER_KINDS,
  ADAPTER_LABELS,
  ADDABLE_ADAPTERS,
  KIND_LABELS,
  PRESETS,
  companionBodies,
  modelFormFromPreset,
  modelsToCreate,
  newModelBody,
  newProviderBody,
  presetById,
  priceLabel,
  providerFormErrorField,
  providerFormFromPreset,
  providerFormFromProvider,
  providerPatch,
  validateProviderForm,
  type PresetId,
  type ProviderForm,
} from '../../lib/providers';
import { t, useLocale } from '../../i18n';
import type { FieldErrors } from '../../lib/validation';
import { errorMessage, isApiError } from '../../transport';
import { Field } from '../account/Field';
import { Modal } from '../Modal';
import { ModelFields } from './ModelFields';

/** The component's strings, in one place for a later translation pass. */
/** The screen's strings (src/locales, `providerDialog.*`), read in the active language. */
const S = {
  get addTitle() {
    return t('providerDialog.addTitle');
  },
  editTitle: (name: string) => t('providerDialog.editTitle', { name }),
  get presets() {
    return t('providerDialog.presets');
  },
  get name() {
    return t('providerDialog.name');
  },
  get adapter() {
    return t('providerDialog.adapter');
  },
  get baseUrl() {
    return t('providerDialog.baseUrl');
  },
  get apiKey() {
    return t('providerDialog.apiKey');
  },
  get keyOptional() {
    return t('providerDialog.keyOptional');
  },
  get keyPlaceholder() {
    return t('providerDialog.keyPlaceholder');
  },
  get keySaved() {
    return t('providerDialog.keySaved');
  },
  get noKey() {
    return t('providerDialog.noKey');
  },
  get replaceKey() {
    return t('providerDialog.replaceKey');
  },
  get keepKey() {
    return t('providerDialog.keepKey');
  },
  get keyClearNote() {
    return t('providerDialog.keyClearNote');
  },
  get concurrency() {
    return t('providerDialog.concurrency');
  },
  get concurrencyHint() {
    return t('providerDialog.concurrencyHint');
  },
  get firstModel() {
    return t('providerDialog.firstModel');
  },
  get alsoAdd() {
    return t('providerDialog.alsoAdd');
  },
  companion: (name: string, url: string) => t('providerDialog.companion', { name, url }),
  get cancel() {
    return t('providerDialog.cancel');
  },
  get save() {
    return t('providerDialog.save');
  },
  get saving() {
    return t('providerDialog.saving');
  },
  get savedPartly() {
    return t('providerDialog.savedPartly');
  },
};

interface Props {
  /** Edit an existing provider; absent: add one. */
  provider?: Provider;
  initialPreset?: PresetId;
  onClose: () => void;
  /** After a save: what was added or changed (for the toast), then the page reloads. */
  onSaved: (message: string) => void;
}

export function ProviderDialog({ provider, initialPreset = 'custom', onClose, onSaved }: Props) {
  useLocale(); // re-render on a language switch: S reads the active language
  const mode = provider ? 'edit' : 'add';
  const [form, setForm] = useState<ProviderForm>(() => (provider ? providerFormFromProvider(provider) : providerFormFromPreset(initialPreset)));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [replaceKey, setReplaceKey] = useState(!provider?.has_api_key);
  /** Add mode: what was created by an earlier attempt whose later step failed (not created twice). */
  const created = useRef<{ provider: Provider | null; models: number }>({ provider: null, models: 0 });
  const preset = presetById(form.preset);
  const keyRequired = mode === 'add' && preset.needsKey;

  function update(patch: Partial<ProviderForm>) {
    setForm((f) => ({ ...f, ...patch }));
    const touched = Object.keys(patch);
    if (touched.some((k) => errors[k])) setErrors((e) => ({ ...e, ...Object.fromEntries(touched.map((k) => [k, undefined])) }));
  }

  function updateModel(patch: Partial<ProviderForm['model']>) {
    setForm((f) => ({ ...f, model: { ...f.model, ...patch } }));
    const keys = Object.keys(patch).map((k) => (k === 'name' ? 'model_display_name' : k));
    if (keys.some((k) => errors[k])) setErrors((e) => ({ ...e, ...Object.fromEntries(keys.map((k) => [k, undefined])) }));
  }

  function pickPreset(id: PresetId) {
    if (created.current.provider) return;
    // A key belongs to its provider: switching presets doesn't carry it over.
    setForm(providerFormFromPreset(id));
    setErrors({});
    setFormError(null);
  }

  function focusField(field: string) {
    document.querySelector<HTMLElement>(`[data-testid="provider-dialog"] [data-field="${field}"]`)?.focus();
  }

  function fail(e: unknown, stage: 'provider' | 'model') {
    const field = providerFormErrorField(e, stage);
    if (field) {
      setErrors({ [field]: errorMessage(e) });
      focusField(field);
    } else {
      setFormError(errorMessage(e));
    }
    if (stage === 'model' && created.current.provider) {
      setFormError((m) => (m ? `${m} — ${S.savedPartly}` : S.savedPartly));
    }
  }

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (saving) return;
    const found = validateProviderForm(form, { mode, keyRequired });
    setErrors(found);
    setFormError(null);
    const first = Object.keys(found).find((k) => found[k]);
    if (first) {
      focusField(first);
      return;
    }
    setSaving(true);
    try {
      if (provider) {
        // A saved key is only touched after "Replace key" (then empty clears it); without one, a typed key is added.
        const touchKey = provider.has_api_key ? replaceKey : form.api_key.trim() !== '';
        await updateProvider(provider.id, providerPatch(form, provider, touchKey));
        onSaved(t('providerDialog.saved', { name: form.name.trim() }));
        onClose();
        return;
      }
      let p = created.current.provider;
      if (!p) {
        try {
          p = await createProvider(newProviderBody(form));
        } catch (err) {
          fail(err, 'provider');
          return;
        }
        created.current.provider = p;
      }
      const bodies = modelsToCreate(form, p);
      for (let i = created.current.models; i < bodies.length; i++) {
        try {
          await createModel(bodies[i]!);
        } catch (err) {
          // The first model is on the form; a failing extra is reported above the buttons.
          if (i === 0) fail(err, 'model');
          else setFormError(`${bodies[i]!.model_name}: ${errorMessage(err)} — ${S.savedPartly}`);
          return;
        }
        created.current.models = i + 1;
      }
      let extra = '';
      const companion = companionBodies(form);
      if (companion) {
        try {
          const cp = await createProvider(companion.provider);
          for (const m of companion.models) await createModel(newModelBody(modelFormFromPreset(m), cp));
          extra = cp.name;
        } catch (err) {
          onSaved(t('providerDialog.addedWithout', { name: p.name, other: companion.provider.name, reason: errorMessage(err) }));
          onClose();
          return;
        }
      }
      onSaved(
        extra
          ? t('providerDialog.addedBoth', { name: p.name, other: extra, count: bodies.length })
          : t('providerDialog.added', { name: p.name, count: bodies.length }),
      );
      onClose();
    } catch (err) {
      if (isApiError(err)) fail(err, 'provider');
      else setFormError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  const kinds = ADAPTER_KINDS[form.adapter];
  return (
    <Modal title={provider ? S.editTitle(provider.name) : S.addTitle} onClose={onClose} busy={saving} size="lg" testId="provider-dialog">
      <form className="modal-body form pv-form" onSubmit={submit} noValidate>
        {mode === 'add' && (
          <fieldset className="form-field">
            <legend>{S.presets}</legend>
            <div className="pv-presets" role="radiogroup" aria-label={S.presets}>
              {PRESETS.map((p) => (
                <button
                  key={p.id}
                  type="button"
                  role="radio"
                  aria-checked={form.preset === p.id}
                  className={`pv-preset${form.preset === p.id ? ' selected' : ''}`}
                  data-testid={`dialog-preset-${p.id}`}
                  disabled={created.current.provider !== null}
                  onClick={() => pickPreset(p.id)}
                >
                  <span className="pv-preset-name">{p.label}</span>
                  <span className="pv-preset-hint">{p.hint}</span>
                </button>
              ))}
            </div>
          </fieldset>
        )}

        <div className="pv-grid">
          <Field idPrefix="pv" name="name" label={S.name} autoComplete="off" value={form.name} error={errors.name} onChange={(e) => update({ name: e.target.value })} />
          <div className="form-field">
            <label htmlFor="pv-adapter">{S.adapter}</label>
            <select
              id="pv-adapter"
              className={`input select${errors.adapter ? ' invalid' : ''}`}
              data-field="adapter"
              data-testid="adapter-select"
              value={form.adapter}
              onChange={(e) => {
                const adapter = e.target.value as Adapter;
                const kind = ADAPTER_KINDS[adapter].includes(form.model.kind) ? form.model.kind : ADAPTER_KINDS[adapter][0]!;
                setForm((f) => ({ ...f, adapter, model: { ...f.model, kind } }));
              }}
            >
              {ADDABLE_ADAPTERS.map((a) => (
                <option key={a} value={a}>
                  {ADAPTER_LABELS[a]}
                </option>
              ))}
            </select>
            <span className="muted small">{kinds.map((k) => KIND_LABELS[k]).join(' · ')}</span>
            {errors.adapter && (
              <p className="field-error" data-testid="field-error-adapter">
                {errors.adapter}
              </p>
            )}
          </div>
        </div>
        <Field
          idPrefix="pv"
          name="base_url"
          label={S.baseUrl}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://api.example.com/v1"
          value={form.base_url}
          error={errors.base_url}
          onChange={(e) => update({ base_url: e.target.value })}
        />
        <div className="pv-grid">
          {provider && provider.has_api_key && !replaceKey ? (
            <div className="form-field">
              <span className="pv-label">{S.apiKey}</span>
              <div className="pv-key-row">
                <code className="pv-masked" data-testid="provider-key-masked" title={S.keySaved}>
                  {provider.api_key_masked ?? '••••'}
                </code>
                <button type="button" className="button secondary button-sm" data-testid="replace-key" onClick={() => setReplaceKey(true)}>
                  {S.replaceKey}
                </button>
              </div>
            </div>
          ) : (
            <div className="form-field">
              <Field
                idPrefix="pv"
                name="api_key"
                label={S.apiKey}
                hint={keyRequired ? undefined : S.keyOptional}
                type="password"
                autoComplete="new-password"
                spellCheck={false}
                placeholder={S.keyPlaceholder}
                value={form.api_key}
                error={errors.api_key}
                onChange={(e) => update({ api_key: e.target.value })}
              />
              {provider?.has_api_key && (
                <div className="pv-key-row">
                  <span className="muted small">{S.keyClearNote}</span>
                  <button
                    type="button"
                    className="button secondary button-sm"
                    data-testid="keep-key"
                    onClick={() => {
                      setReplaceKey(false);
                      update({ api_key: '' });
                    }}
                  >
                    {S.keepKey}
                  </button>
                </div>
              )}
            </div>
          )}
          <Field
            idPrefix="pv"
            name="max_concurrency"
            label={S.concurrency}
            hint={S.concurrencyHint}
            inputMode="numeric"
            value={form.max_concurrency}
            error={errors.max_concurrency}
            onChange={(e) => update({ max_concurrency: e.target.value })}
          />
        </div>

        {mode === 'add' && (
          <fieldset className="form-field pv-fieldset">
            <legend>{S.firstModel}</legend>
            <ModelFields form={form.model} onChange={updateModel} errors={errors} adapter={form.adapter} kindEditable idPrefix="pv-model" />
            {form.extras.length > 0 && (
              <div className="pv-extras">
                <span className="pv-label">{S.alsoAdd}</span>
                {form.extras.map((x, i) => (
                  <label key={x.model.model_name} className="checkbox-row">
                    <input
                      type="checkbox"
                      checked={x.include}
                      data-testid="extra-model"
                      onChange={(e) => update({ extras: form.extras.map((y, j) => (j === i ? { ...y, include: e.target.checked } : y)) })}
                    />
                    <span>
                      <code>{x.model.model_name}</code> · {KIND_LABELS[x.model.kind]} ·{' '}
                      <span className="muted">{priceLabel({ ...x.model, output_credits_cost: x.model.output_credits_cost ?? null })}</span>
                    </span>
                  </label>
                ))}
              </div>
            )}
            {form.companion && (
              <div className="pv-extras">
                <label className="checkbox-row">
                  <input
                    type="checkbox"
                    checked={form.companion.include}
                    data-testid="companion-provider"
                    onChange={(e) => update({ companion: { ...form.companion!, include: e.target.checked } })}
                  />
                  <span>{S.companion(form.companion.provider.name, form.companion.provider.base_url)}</span>
                </label>
                <ul className="pv-companion-models">
                  {form.companion.provider.models.map((m) => (
                    <li key={m.model_name}>
                      <code>{m.model_name}</code> · {KIND_LABELS[m.kind]} · <span className="muted">{priceLabel({ ...m, output_credits_cost: null })}</span>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </fieldset>
        )}

        {formError && (
          <p className="form-error" role="alert" data-testid="provider-form-error">
            {formError}
          </p>
        )}
        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={saving}>
            {S.cancel}
          </button>
          <button type="submit" className="button primary" data-testid="save-provider" disabled={saving}>
            {saving ? S.saving : S.save}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
