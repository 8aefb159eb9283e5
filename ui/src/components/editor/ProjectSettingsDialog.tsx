import { useState, type FormEvent } from 'react';
import { updateProject } from '../../api/projects';
import { ASPECT_RATIOS, type AspectRatio, type Project, type ProjectPatch } from '../../api/types';
import { ASPECT_LABELS } from '../../lib/format';
import { parseCostCap } from '../../lib/providers';
import { formFieldFor, validateName, type FieldErrors } from '../../lib/validation';
import { errorMessage, isApiError } from '../../transport';
import { Field } from '../account/Field';
import { useT } from '../../i18n';
import { Modal } from '../Modal';

const FIELDS = ['name', 'aspect_ratio', 'cost_cap'] as const;

interface Form {
  name: string;
  aspect_ratio: AspectRatio;
  cost_cap: string;
}

/** The PATCH for what changed in the form, or the field errors. */
export function projectSettingsPatch(f: Form, p: Project): { ok: true; patch: ProjectPatch } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const nameError = validateName(f.name);
  if (nameError) errors.name = nameError;
  const cap = parseCostCap(f.cost_cap);
  if (!cap.ok) errors.cost_cap = cap.error;
  if (Object.keys(errors).length > 0 || !cap.ok) return { ok: false, errors };
  const patch: ProjectPatch = {};
  if (f.name.trim() !== p.name) patch.name = f.name.trim();
  if (f.aspect_ratio !== p.aspect_ratio) patch.aspect_ratio = f.aspect_ratio;
  if (cap.value !== (p.cost_cap ?? null)) patch.cost_cap = cap.value;
  return { ok: true, patch };
}

export function ProjectSettingsDialog({ project, onClose, onSaved }: { project: Project; onClose: () => void; onSaved: (p: Project) => void }) {
  const t = useT();
  const [form, setForm] = useState<Form>({
    name: project.name,
    aspect_ratio: project.aspect_ratio,
    cost_cap: project.cost_cap === null || project.cost_cap === undefined ? '' : String(project.cost_cap),
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  function update(patch: Partial<Form>) {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => ({ ...e, ...Object.fromEntries(Object.keys(patch).map((k) => [k, undefined])) }));
  }

  const focus = (field: string) => document.querySelector<HTMLElement>(`[data-testid="project-settings-dialog"] [data-field="${field}"]`)?.focus();

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (saving) return;
    const res = projectSettingsPatch(form, project);
    setFormError(null);
    if (!res.ok) {
      setErrors(res.errors);
      const first = FIELDS.find((f) => res.errors[f]);
      if (first) focus(first);
      return;
    }
    if (Object.keys(res.patch).length === 0) {
      onClose();
      return;
    }
    setSaving(true);
    try {
      onSaved(await updateProject(project.id, res.patch));
      onClose();
    } catch (err) {
      setSaving(false);
      const field = isApiError(err) ? formFieldFor(err.field, FIELDS) : null;
      if (field) {
        setErrors({ [field]: errorMessage(err) });
        focus(field);
      } else setFormError(errorMessage(err));
    }
  }

  return (
    <Modal title={t('projectSettings.title')} onClose={onClose} busy={saving} testId="project-settings-dialog">
      <form className="modal-body form" onSubmit={submit} noValidate>
        <Field idPrefix="ps" name="name" label={t('projectSettings.name')} autoComplete="off" value={form.name} error={errors.name} onChange={(e) => update({ name: e.target.value })} />
        <div className="form-field">
          <label htmlFor="ps-aspect">{t('projectSettings.aspect')}</label>
          <select
            id="ps-aspect"
            className="input select"
            data-field="aspect_ratio"
            data-testid="aspect_ratio-input"
            value={form.aspect_ratio}
            onChange={(e) => update({ aspect_ratio: e.target.value as AspectRatio })}
          >
            {ASPECT_RATIOS.map((r) => (
              <option key={r} value={r}>
                {r} · {ASPECT_LABELS[r]}
              </option>
            ))}
          </select>
          {errors.aspect_ratio && (
            <p className="field-error" data-testid="field-error-aspect_ratio">
              {errors.aspect_ratio}
            </p>
          )}
        </div>
        <Field
          idPrefix="ps"
          name="cost_cap"
          label={t('projectSettings.costCap')}
          hint={t('projectSettings.costCapHint')}
          inputMode="numeric"
          value={form.cost_cap}
          error={errors.cost_cap}
          onChange={(e) => update({ cost_cap: e.target.value })}
        />
        <p className="muted small">{t('projectSettings.costCapNote')}</p>
        {formError && (
          <p className="form-error" role="alert" data-testid="project-settings-error">
            {formError}
          </p>
        )}
        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={saving}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" data-testid="save-project-settings" disabled={saving}>
            {saving ? t('common.saving') : t('common.save')}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
