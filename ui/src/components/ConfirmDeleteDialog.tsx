import { useState } from 'react';
import type { Project } from '../api/types';
import { Trans, i18n, useT } from '../i18n';
import { Modal } from './Modal';

interface Props {
  project: Project;
  onClose: () => void;
  /** Performs the delete; the dialog closes when it resolves and stays open when it rejects. */
  onConfirm: () => Promise<void>;
}

export function ConfirmDeleteDialog({ project, onClose, onConfirm }: Props) {
  const t = useT();
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
      onClose();
    } catch {
      setBusy(false);
    }
  }

  return (
    <Modal
      title={t('deleteProject.title')}
      onClose={onClose}
      busy={busy}
      size="sm"
      testId="delete-dialog"
      initialFocus='[data-testid="cancel-delete"]'
    >
      <div className="modal-body">
        <p className="confirm-text">
          <Trans
            i18n={i18n}
            t={t}
            i18nKey="deleteProject.body"
            values={{ name: project.name }}
            components={{ name: <strong className="confirm-name" /> }}
          />
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-delete">
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="button danger"
          onClick={() => void confirm()}
          disabled={busy}
          data-testid="confirm-delete"
        >
          {busy ? t('common.deleting') : t('common.delete')}
        </button>
      </footer>
    </Modal>
  );
}
