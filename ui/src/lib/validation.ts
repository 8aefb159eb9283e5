import { ASPECT_RATIOS, type AspectRatio } from '../api/types';
import { t } from '../i18n';

/** Same limits as the server (src/projects): counted in Unicode code points. */
export const MAX_NAME_CHARS = 200;
export const MAX_DESCRIPTION_CHARS = 10_000;

export type FieldErrors = Partial<Record<string, string>>;

export interface ProjectForm {
  name: string;
  description: string;
  aspect_ratio: AspectRatio;
}

function charCount(s: string): number {
  return Array.from(s).length;
}

/** Error message for a project name, or null when it is acceptable. */
export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return t('validation.nameRequired');
  if (charCount(trimmed) > MAX_NAME_CHARS) return t('validation.nameTooLong', { max: MAX_NAME_CHARS });
  return null;
}

export function validateProjectForm(form: ProjectForm): FieldErrors {
  const errors: FieldErrors = {};
  const name = validateName(form.name);
  if (name) errors.name = name;
  if (charCount(form.description) > MAX_DESCRIPTION_CHARS) {
    errors.description = t('validation.descriptionTooLong', { max: MAX_DESCRIPTION_CHARS });
  }
  if (!(ASPECT_RATIOS as readonly string[]).includes(form.aspect_ratio)) {
    errors.aspect_ratio = t('validation.chooseAspect');
  }
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}

/**
 * The form field a server validation error belongs to. The server names fields by JSON path
 * ("name", "/name", "body.name"); anything not on the form maps to null (shown as a form error).
 */
export function formFieldFor(field: string | undefined, known: readonly string[]): string | null {
  if (!field) return null;
  const last = field.split(/[./]/).filter(Boolean).pop() ?? '';
  return known.includes(last) ? last : null;
}
