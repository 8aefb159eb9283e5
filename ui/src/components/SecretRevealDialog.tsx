import type { Dispatch, ReactNode } from 'react';
import type { RevealEvent, RevealState } from '../lib/accountForms';
import { useT } from '../i18n';
import { copyText } from '../lib/clipboard';
import { Modal } from './Modal';

interface Props {
  reveal: Extract<RevealState, { kind: 'shown' }>;
  dispatch: Dispatch<RevealEvent>;
  title: string;
  /** Why to copy it now; shown as an alert above the secret. */
  warning: ReactNode;
  /** The input's accessible label ("API key"). */
  label: string;
  /** What to select by hand when copying fails ("key", "link"). */
  noun: string;
  /** The close button's label before the secret was copied ("I have stored it"). */
  closeLabel: string;
  testIds: { dialog: string; warning: string; secret: string; copy: string; close: string };
}

/** A secret shown once (an API key, an invitation link): read-only field, Copy, and a close button. */
export function SecretRevealDialog({ reveal, dispatch, title, warning, label, noun, closeLabel, testIds }: Props) {
  const t = useT();
  return (
    <Modal title={title} onClose={() => dispatch({ type: 'close' })} testId={testIds.dialog} size="md">
      <div className="modal-body form">
        <p className="secret-warning" role="alert" data-testid={testIds.warning}>
          {warning}
        </p>
        <div className="secret-row">
          <input
            className="input secret-input"
            readOnly
            value={reveal.secret}
            aria-label={label}
            data-testid={testIds.secret}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            className="button secondary"
            data-testid={testIds.copy}
            onClick={() => void copyText(reveal.secret).then((ok) => dispatch({ type: ok ? 'copied' : 'copy-failed' }))}
          >
            {reveal.copied ? t('common.copied') : t('common.copy')}
          </button>
        </div>
        {reveal.copyFailed && <p className="field-error">{t('secret.copyFailed', { noun })}</p>}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button primary" onClick={() => dispatch({ type: 'close' })} data-testid={testIds.close}>
          {reveal.copied ? t('secret.done') : closeLabel}
        </button>
      </footer>
    </Modal>
  );
}
