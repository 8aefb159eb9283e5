/**
 * The instance admin's desktop releases (docs/API-UPDATES.md): the upload form's checks (as the
 * server's: a semantic version, a signature, a file), its body, where a refusal goes, the upload
 * itself, and how a build is named in the list.
 */
import type { QueryClient } from '@tanstack/react-query';
import { RELEASE_ARCHES, RELEASE_TARGETS, uploadAndRefresh, type NewRelease, type Release, type ReleaseArch, type ReleaseTarget } from '../api/releases';
import { activeLocale, t } from '../i18n';
import { ApiError, errorMessage } from '../transport/errors';
import { formServerErrors } from './operations';
import { hasErrors, type FieldErrors } from './validation';

export interface ReleaseForm {
  target: ReleaseTarget;
  arch: ReleaseArch;
  version: string;
  notes: string;
  /** The content of the artifact's `.sig` file, pasted or read from the file. */
  signature: string;
  file: File | null;
}

export const EMPTY_RELEASE_FORM: ReleaseForm = { target: 'linux', arch: 'x86_64', version: '', notes: '', signature: '', file: null };

/** The fields a server refusal can name (the multipart form's field names). */
export const RELEASE_FIELDS = ['target', 'arch', 'version', 'notes', 'signature', 'file'] as const;

/** A semantic version, optionally with a leading `v` (`1.4.0`, `v2.0.0-beta.1`, `1.0.0+build.5`). */
const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isSemver(v: string): boolean {
  return SEMVER.test(v.trim());
}

export function validateReleaseForm(f: ReleaseForm): FieldErrors {
  const e: FieldErrors = {};
  if (!(RELEASE_TARGETS as readonly string[]).includes(f.target)) e.target = t('operations.releases.chooseTarget');
  if (!(RELEASE_ARCHES as readonly string[]).includes(f.arch)) e.arch = t('operations.releases.chooseArch');
  if (!f.version.trim()) e.version = t('operations.releases.enterVersion');
  else if (!isSemver(f.version)) e.version = t('operations.releases.badVersion');
  if (!f.signature.trim()) e.signature = t('operations.releases.enterSignature');
  if (!f.file) e.file = t('operations.releases.chooseFile');
  return e;
}

/** The upload of a checked form; null without a file. */
export function releaseBody(f: ReleaseForm): NewRelease | null {
  if (!f.file) return null;
  return { target: f.target, arch: f.arch, version: f.version.trim(), notes: f.notes.trim(), signature: f.signature.trim(), file: f.file };
}

/** A `.sig` file's content, as the server takes it. */
export async function readSignatureFile(file: Blob): Promise<string> {
  return (await file.text()).trim();
}

/** "Linux · x86_64", "macOS · aarch64". */
export function platformLabel(r: Pick<Release, 'target' | 'arch'>): string {
  const key = `operations.releases.target.${r.target}`;
  const target = (RELEASE_TARGETS as readonly string[]).includes(r.target) ? t(key as never) : r.target;
  return `${target} · ${r.arch}`;
}

/**
 * Where a refused upload's message goes: a 409 under the version (that version is uploaded for
 * that platform already), a 422 under the field it names (a signature that does not verify is
 * said in the UI's language); anything else (413, 403, …) null: above the button.
 */
export function releaseServerErrors(e: unknown, f: Pick<ReleaseForm, 'version' | 'target' | 'arch'>): FieldErrors | null {
  if (e instanceof ApiError && e.status === 409) {
    return { version: t('operations.releases.exists', { version: f.version.trim(), platform: platformLabel(f) }) };
  }
  const onField = formServerErrors(e, RELEASE_FIELDS);
  if (onField?.signature && activeLocale() !== 'en') return { signature: t('operations.releases.signatureRefused') };
  return onField;
}

export type ReleaseSubmit =
  | { kind: 'uploaded'; release: Release }
  /** Not sent (the form's checks), or refused: the errors under their fields, or the form's. */
  | { kind: 'refused'; errors: FieldErrors; formError: string | null };

/** Upload: checks the form, sends it, and the list reads again; a refusal says where its message goes. */
export async function submitRelease(queryClient: QueryClient, form: ReleaseForm): Promise<ReleaseSubmit> {
  const errors = validateReleaseForm(form);
  const body = releaseBody(form);
  if (hasErrors(errors) || !body) return { kind: 'refused', errors, formError: null };
  try {
    return { kind: 'uploaded', release: await uploadAndRefresh(queryClient, body) };
  } catch (e) {
    const onFields = releaseServerErrors(e, form);
    return onFields ? { kind: 'refused', errors: onFields, formError: null } : { kind: 'refused', errors: {}, formError: errorMessage(e) };
  }
}
