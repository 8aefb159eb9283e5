import { useState } from 'react';
import type { Project } from '../api/types';
import { Modal } from './Modal';

interface Props {
  project: Project;
  onClose: () => void;
  /** Performs the delete; the dialog closes when it resolves and stays open when it rejects. */
  onConfirm: () => Promise<void>;
}

export function ConfirmDeleteDialog({ project, onClose, onConfirm }: Props) {
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
      title="Delete project?"
      onClose={onClose}
      busy={busy}
      size="sm"
      testId="delete-dialog"
      initialFocus='[data-testid="cancel-delete"]'
    >
      <div className="modal-body">
        <p className="confirm-text">
          <strong className="confirm-name">{project.name}</strong> will be removed from your projects. You can undo
          this right after deleting.
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-delete">
          Cancel
        </button>
        <button
          type="button"
          className="button danger"
          onClick={() => void confirm()}
          disabled={busy}
          data-testid="confirm-delete"
        >
          {busy ? 'Deleting…' : 'Delete'}
        </button>
      </footer>
    </Modal>
  );
}
