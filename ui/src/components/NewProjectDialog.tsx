import { useState, type FormEvent } from 'react';
import { ASPECT_RATIOS, type AspectRatio, type NewProject, type Project } from '../api/types';
import { useT } from '../i18n';
import { ASPECT_LABELS } from '../lib/format';
import {
  MAX_NAME_CHARS,
  formFieldFor,
  hasErrors,
  validateProjectForm,
  type FieldErrors,
  type ProjectForm,
} from '../lib/validation';
import { ApiError, errorMessage, fieldErrorMessage } from '../transport';
import { AspectShape } from './Badges';
import { Modal } from './Modal';

const FORM_FIELDS = ['name', 'description', 'aspect_ratio'] as const;

interface Props {
  onClose: () => void;
  onCreate: (input: NewProject) => Promise<Project>;
  /** Called after a successful create (the dialog closes itself via onClose). */
  onCreated: (p: Project) => void;
  /** For errors that are not about a form field. */
  onError: (message: string) => void;
}

export function NewProjectDialog({ onClose, onCreate, onCreated, onError }: Props) {
  const t = useT();
  const [form, setForm] = useState<ProjectForm>({ name: '', description: '', aspect_ratio: '9:16' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  function update<K extends keyof ProjectForm>(key: K, value: ProjectForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (submitting) return;
    const found = validateProjectForm(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      const first = FORM_FIELDS.find((f) => found[f]);
      document.querySelector<HTMLElement>(`[data-field="${first}"]`)?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const input: NewProject = { name: form.name.trim(), aspect_ratio: form.aspect_ratio };
      if (form.description.trim()) input.description = form.description.trim();
      const created = await onCreate(input);
      onCreated(created);
      onClose();
    } catch (err) {
      setSubmitting(false);
      if (err instanceof ApiError) {
        const field = formFieldFor(err.field, FORM_FIELDS);
        if (field) {
          setErrors({ [field]: fieldErrorMessage(err) });
          document.querySelector<HTMLElement>(`[data-field="${field}"]`)?.focus();
          return;
        }
        if (err.isValidation) {
          setFormError(errorMessage(err));
          return;
        }
      }
      onError(errorMessage(err));
    }
  }

  return (
    <Modal
      title={t('newProject.title')}
      onClose={onClose}
      busy={submitting}
      testId="new-project-dialog"
      // Straight into the name: the N shortcut opens this dialog and the user types on.
      initialFocus='[data-testid="project-name-input"]'
    >
      <form className="modal-body form" onSubmit={submit} noValidate>
        <div className="form-field">
          <label htmlFor="np-name">
            {t('newProject.name')} <span className="required" aria-hidden="true">*</span>
          </label>
          <input
            id="np-name"
            className={`input${errors.name ? ' invalid' : ''}`}
            data-testid="project-name-input"
            data-field="name"
            placeholder={t('newProject.namePlaceholder')}
            autoComplete="off"
            maxLength={MAX_NAME_CHARS * 2}
            required
            aria-required="true"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? 'np-name-error' : undefined}
            value={form.name}
            onChange={(e) => update('name', e.target.value)}
          />
          {errors.name && (
            <p className="field-error" id="np-name-error" data-testid="field-error-name">
              {errors.name}
            </p>
          )}
        </div>

        <div className="form-field">
          <label htmlFor="np-description">
            {t('newProject.description')} <span className="optional">{t('newProject.optional')}</span>
          </label>
          <textarea
            id="np-description"
            className={`input textarea${errors.description ? ' invalid' : ''}`}
            data-testid="project-description-input"
            data-field="description"
            placeholder={t('newProject.descriptionPlaceholder')}
            rows={3}
            aria-invalid={errors.description ? true : undefined}
            aria-describedby={errors.description ? 'np-description-error' : undefined}
            value={form.description}
            onChange={(e) => update('description', e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit();
            }}
          />
          {errors.description && (
            <p className="field-error" id="np-description-error" data-testid="field-error-description">
              {errors.description}
            </p>
          )}
        </div>

        <fieldset className="form-field">
          <legend>{t('newProject.aspectRatio')}</legend>
          <div className="aspect-options" role="radiogroup" aria-label={t('newProject.aspectRatio')} data-field="aspect_ratio" tabIndex={-1}>
            {ASPECT_RATIOS.map((r: AspectRatio) => (
              <label
                key={r}
                className={`aspect-option${form.aspect_ratio === r ? ' selected' : ''}`}
                data-testid={`aspect-option-${r}`}
              >
                <input
                  type="radio"
                  name="aspect_ratio"
                  value={r}
                  checked={form.aspect_ratio === r}
                  onChange={() => update('aspect_ratio', r)}
                />
                <AspectShape ratio={r} scale={2} />
                <span className="aspect-ratio">{r}</span>
                <span className="aspect-label">{ASPECT_LABELS[r]}</span>
              </label>
            ))}
          </div>
          {errors.aspect_ratio && (
            <p className="field-error" data-testid="field-error-aspect_ratio">
              {errors.aspect_ratio}
            </p>
          )}
        </fieldset>

        {formError && (
          <p className="form-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}

        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={submitting}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" data-testid="create-project" disabled={submitting}>
            {submitting ? t('common.creating') : t('newProject.create')}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
