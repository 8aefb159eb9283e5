import type { Project } from '../api/types';
import { Modal } from './Modal';
import { SamplesList } from './SamplesList';

export function SamplesDialog({
  onClose,
  onOpened,
  onError,
}: {
  onClose: () => void;
  onOpened: (p: Project) => void;
  onError: (message: string) => void;
}) {
  return (
    <Modal title="Sample scripts" onClose={onClose} testId="samples-dialog">
      <div className="modal-body">
        <p className="confirm-text">Each sample opens as a new project with its script already broken down.</p>
        <SamplesList onOpened={onOpened} onError={onError} />
      </div>
      <div className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
