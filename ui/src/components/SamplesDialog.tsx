import type { Project } from '../api/types';
import { useT } from '../i18n';
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
  const t = useT();
  return (
    <Modal title={t('samples.title')} onClose={onClose} testId="samples-dialog">
      <div className="modal-body">
        <p className="confirm-text">{t('samples.intro')}</p>
        <SamplesList onOpened={onOpened} onError={onError} />
      </div>
      <div className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}
