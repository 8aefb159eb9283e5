import { useState, type FormEvent } from 'react';
import { loadOf, type Load } from '../../api/load';
import { RELEASE_ARCHES, RELEASE_TARGETS, useReleases, type Release, type ReleaseArch, type ReleaseTarget } from '../../api/releases';
import type { Page } from '../../api/types';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatBytes, formatDateTime } from '../../lib/format';
import { platformLabel, type ReleaseForm } from '../../lib/releases';
import type { FieldErrors } from '../../lib/validation';
import { Field } from '../account/Field';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { ListState } from './ListState';
import { useReleaseUpload } from './useReleaseUpload';
import { useWithdrawRelease, type WithdrawConfirm } from './useWithdrawRelease';

/** Tauri's guide to signing updater builds (`tauri signer generate` / `sign`). */
export const TAURI_SIGNING_URL = 'https://v2.tauri.app/plugin/updater/#signing-updates';

/** The error under a field that is not a plain input (select, textarea, file). */
function FieldError({ name, error }: { name: string; error: string | undefined }) {
  if (!error) return null;
  return (
    <p className="field-error" id={`rel-${name}-error`} data-testid={`field-error-${name}`}>
      {error}
    </p>
  );
}

/** How to sign a build, and where the steps are written down. */
export function SigningHint() {
  const t = useT();
  return (
    <p className="muted ops-release-hint" data-testid="release-signing-hint">
      <Trans
        i18n={i18n}
        t={t}
        i18nKey="operations.releases.signingHint"
        components={{
          code: <code />,
          guide: <a href={TAURI_SIGNING_URL} target="_blank" rel="noopener noreferrer" data-testid="release-signing-link" />,
        }}
      />
    </p>
  );
}

export interface ReleaseFormViewProps {
  form: ReleaseForm;
  errors: FieldErrors;
  busy: boolean;
  formError: string | null;
  onChange: (patch: Partial<ReleaseForm>) => void;
  /** A `.sig` file was chosen: its content goes in the signature field. */
  onSignatureFile: (file: File | null) => void;
  onSubmit: () => void;
}

/** The upload form: platform, version, notes, the signature (pasted or from its file), the build. */
export function ReleaseFormView({ form, errors, busy, formError, onChange, onSignatureFile, onSubmit }: ReleaseFormViewProps) {
  const t = useT();
  const locale = useLocale();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  const describedBy = (name: string) => (errors[name] ? `rel-${name}-error` : undefined);
  return (
    <form className="form ops-form" onSubmit={submit} noValidate aria-labelledby="release-form-title" data-testid="release-form">
      <h3 id="release-form-title">{t('operations.releases.uploadTitle')}</h3>
      <SigningHint />
      <div className="ops-form-grid">
        <div className="form-field">
          <label htmlFor="rel-target">{t('operations.releases.targetLabel')}</label>
          <select
            id="rel-target"
            className={`input select${errors.target ? ' invalid' : ''}`}
            data-field="target"
            data-testid="release-target"
            value={form.target}
            aria-invalid={errors.target ? true : undefined}
            aria-describedby={describedBy('target')}
            onChange={(e) => onChange({ target: e.target.value as ReleaseTarget })}
          >
            {RELEASE_TARGETS.map((v) => (
              <option key={v} value={v}>
                {t(`operations.releases.target.${v}`)}
              </option>
            ))}
          </select>
          <FieldError name="target" error={errors.target} />
        </div>
        <div className="form-field">
          <label htmlFor="rel-arch">{t('operations.releases.archLabel')}</label>
          <select
            id="rel-arch"
            className={`input select${errors.arch ? ' invalid' : ''}`}
            data-field="arch"
            data-testid="release-arch"
            value={form.arch}
            aria-invalid={errors.arch ? true : undefined}
            aria-describedby={describedBy('arch')}
            onChange={(e) => onChange({ arch: e.target.value as ReleaseArch })}
          >
            {RELEASE_ARCHES.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
          <FieldError name="arch" error={errors.arch} />
        </div>
        <Field
          idPrefix="rel"
          name="version"
          label={t('operations.releases.version')}
          placeholder="1.4.0"
          autoComplete="off"
          spellCheck={false}
          value={form.version}
          error={errors.version}
          onChange={(e) => onChange({ version: e.target.value })}
        />
      </div>
      <div className="form-field">
        <label htmlFor="rel-notes">
          {t('operations.releases.notes')}
          <span className="optional"> {t('newProject.optional')}</span>
        </label>
        <textarea
          id="rel-notes"
          className="input textarea"
          data-field="notes"
          data-testid="release-notes"
          rows={3}
          value={form.notes}
          aria-invalid={errors.notes ? true : undefined}
          aria-describedby={describedBy('notes')}
          onChange={(e) => onChange({ notes: e.target.value })}
        />
        <FieldError name="notes" error={errors.notes} />
      </div>
      <div className="form-field">
        <label htmlFor="rel-signature">{t('operations.releases.signature')}</label>
        <textarea
          id="rel-signature"
          className={`input textarea ops-release-signature${errors.signature ? ' invalid' : ''}`}
          data-field="signature"
          data-testid="release-signature"
          rows={3}
          spellCheck={false}
          autoComplete="off"
          value={form.signature}
          aria-invalid={errors.signature ? true : undefined}
          aria-describedby={describedBy('signature')}
          onChange={(e) => onChange({ signature: e.target.value })}
        />
        <div className="ops-release-sigfile">
          <label htmlFor="rel-sigfile" className="muted">
            {t('operations.releases.signatureFile')}
          </label>
          <input
            id="rel-sigfile"
            className="input"
            type="file"
            accept=".sig"
            data-testid="release-signature-file"
            onChange={(e) => {
              onSignatureFile(e.target.files?.[0] ?? null);
              e.target.value = '';
            }}
          />
        </div>
        <FieldError name="signature" error={errors.signature} />
      </div>
      <div className="form-field">
        <label htmlFor="rel-file">{t('operations.releases.file')}</label>
        <input
          id="rel-file"
          className={`input${errors.file ? ' invalid' : ''}`}
          type="file"
          data-field="file"
          data-testid="release-file"
          aria-invalid={errors.file ? true : undefined}
          aria-describedby={describedBy('file') ?? 'rel-file-hint'}
          onChange={(e) => onChange({ file: e.target.files?.[0] ?? null })}
        />
        <p className="muted ops-note" id="rel-file-hint">
          {form.file ? t('operations.releases.fileChosen', { name: form.file.name, size: formatBytes(form.file.size, locale) }) : t('operations.releases.fileHint')}
        </p>
        <FieldError name="file" error={errors.file} />
      </div>
      {formError && (
        <p className="form-error" role="alert" data-testid="release-form-error">
          {formError}
        </p>
      )}
      {busy && form.file && (
        <p className="muted" role="status" data-testid="release-uploading">
          <span className="spinner spinner-sm" aria-hidden="true" /> {t('operations.releases.uploadingFile', { name: form.file.name, size: formatBytes(form.file.size, locale) })}
        </p>
      )}
      <div>
        <button type="submit" className="button primary" disabled={busy} data-testid="release-upload">
          {busy ? t('operations.releases.uploading') : t('operations.releases.upload')}
        </button>
      </div>
    </form>
  );
}

export interface ReleasesTableProps {
  releases: Load<Page<Release>>;
  onWithdraw: (release: Release) => void;
  onPage: (page: number) => void;
}

/** Every uploaded build, newest first: offered or withdrawn, with Withdraw on those offered. */
export function ReleasesTable({ releases, onWithdraw, onPage }: ReleasesTableProps) {
  const t = useT();
  const locale = useLocale();
  if (releases.kind !== 'ready' || releases.data.items.length === 0) {
    return <ListState load={releases} testId="releases" none={t('operations.releases.none')} />;
  }
  return (
    <>
      <table className="credit-table" data-testid="releases-table">
        <thead>
          <tr>
            <th>{t('operations.releases.colVersion')}</th>
            <th>{t('operations.releases.colPlatform')}</th>
            <th className="num">{t('operations.releases.colSize')}</th>
            <th>{t('operations.releases.colUploaded')}</th>
            <th>{t('operations.releases.colStatus')}</th>
            <th>{t('operations.releases.colNotes')}</th>
            <th>
              <span className="sr-only">{t('operations.releases.colActions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {releases.data.items.map((r) => {
            const withdrawn = !!r.withdrawn_at;
            return (
              <tr key={r.id} data-testid="release-row" data-release={r.id} data-state={withdrawn ? 'withdrawn' : 'offered'}>
                <td className="cell-strong">{r.version}</td>
                <td>
                  {platformLabel(r)}
                  <span className="muted ops-note">{r.filename}</span>
                </td>
                <td className="num">{formatBytes(r.size, locale)}</td>
                <td>{formatDateTime(r.created_at, locale)}</td>
                <td data-testid={`release-state-${r.id}`}>
                  {withdrawn && r.withdrawn_at
                    ? t('operations.releases.withdrawnOn', { date: formatDateTime(r.withdrawn_at, locale) })
                    : t('operations.releases.offered')}
                </td>
                <td className="ops-release-notes">{r.notes}</td>
                <td>
                  {!withdrawn && (
                    <button
                      type="button"
                      className="button secondary button-sm"
                      onClick={() => onWithdraw(r)}
                      aria-label={t('operations.releases.withdrawLabel', { version: r.version, platform: platformLabel(r) })}
                      data-testid={`release-withdraw-${r.id}`}
                    >
                      {t('operations.releases.withdraw')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Pagination page={releases.data.page} totalPages={releases.data.totalPages} total={releases.data.total} limit={releases.data.limit} onPage={onPage} />
    </>
  );
}

/** Asks before withdrawing: desktops stop being offered the build (those that installed it keep it). */
export function WithdrawReleaseDialog({ confirm, onCancel, onConfirm }: { confirm: WithdrawConfirm; onCancel: () => void; onConfirm: () => void }) {
  const t = useT();
  const { release, busy, error } = confirm;
  return (
    <Modal title={t('operations.releases.withdrawTitle')} onClose={onCancel} busy={busy} size="sm" testId="withdraw-release-dialog" initialFocus='[data-testid="cancel-withdraw-release"]'>
      <div className="modal-body">
        <p className="confirm-text">
          <Trans
            i18n={i18n}
            t={t}
            i18nKey="operations.releases.withdrawBody"
            values={{ version: release.version, platform: platformLabel(release) }}
            components={{ name: <strong className="confirm-name" /> }}
          />
        </p>
        {error && (
          <p className="form-error" role="alert" data-testid="withdraw-release-error">
            {error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onCancel} disabled={busy} data-testid="cancel-withdraw-release">
          {t('common.cancel')}
        </button>
        <button type="button" className="button danger" onClick={onConfirm} disabled={busy} data-testid="confirm-withdraw-release">
          {busy ? t('operations.releases.withdrawing') : t('operations.releases.withdraw')}
        </button>
      </footer>
    </Modal>
  );
}

const PAGE_SIZE = 20;

/** `#/admin/releases`: upload a signed desktop build; every build, with Withdraw. */
export function AdminReleases() {
  const t = useT();
  const [page, setPage] = useState(1);
  const releases = loadOf(useReleases({ page, limit: PAGE_SIZE }));
  const upload = useReleaseUpload();
  const withdraw = useWithdrawRelease();
  return (
    <div className="ops-admin-tab" data-testid="admin-releases">
      <section className="panel credit-section">
        <ReleaseFormView
          key={upload.formKey}
          form={upload.form}
          errors={upload.errors}
          busy={upload.busy}
          formError={upload.formError}
          onChange={upload.onChange}
          onSignatureFile={upload.onSignatureFile}
          onSubmit={upload.submit}
        />
      </section>
      <section className="panel credit-section" aria-labelledby="admin-releases-title">
        <h2 id="admin-releases-title">{t('operations.releases.list')}</h2>
        <ReleasesTable releases={releases} onWithdraw={withdraw.ask} onPage={setPage} />
      </section>
      {withdraw.confirm && <WithdrawReleaseDialog confirm={withdraw.confirm} onCancel={withdraw.cancel} onConfirm={withdraw.withdraw} />}
    </div>
  );
}
