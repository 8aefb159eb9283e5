import { useCallback, useState } from 'react';
import { draftScript, type ScriptDraft } from '../../api/summarize';
import { useT } from '../../i18n';
import { copyText } from '../../lib/clipboard';
import { formatNumber } from '../../lib/format';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { useToasts } from '../Toasts';

/** Where a draft may go: the script editor's text, and how to replace it (absent: copy only). */
export interface ScriptTarget {
  /** The editor's text now. */
  current: () => string;
  /** Replaces it the way a typed edit does (the autosave then saves it). */
  replace: (text: string) => void;
}

/**
 * "Start a script from these beats": asks the server for the draft (`POST /history/{id}/script`),
 * then shows it to confirm. Resolves with the draft, or null when it could not be made (the error
 * went to `onError`).
 */
export async function loadScriptDraft(summaryId: string, onError: (message: string) => void): Promise<ScriptDraft | null> {
  try {
    return await draftScript(summaryId);
  } catch (e) {
    onError(errorMessage(e));
    return null;
  }
}

/** The draft flow's state for a result view: ask, then the confirm dialog. */
export function useScriptDraft(target: ScriptTarget | null) {
  const t = useT();
  const toasts = useToasts();
  const [drafting, setDrafting] = useState(false);
  const [draft, setDraft] = useState<ScriptDraft | null>(null);

  const start = useCallback(
    async (summaryId: string) => {
      setDrafting(true);
      const d = await loadScriptDraft(summaryId, (message) => toasts.show({ kind: 'error', message }));
      setDrafting(false);
      if (d) setDraft(d);
    },
    [toasts],
  );

  const dialog = draft && (
    <ScriptDraftDialog
      draft={draft}
      currentChars={target ? target.current().length : null}
      onReplace={
        target
          ? () => {
              target.replace(draft.script);
              setDraft(null);
              toasts.show({ kind: 'success', message: t('summarize.draft.replaced') });
            }
          : undefined
      }
      onCopy={async () => {
        const ok = await copyText(draft.script);
        toasts.show(ok ? { kind: 'success', message: t('summarize.draft.copied') } : { kind: 'error', message: t('summarize.draft.copyFailed') });
        if (ok) setDraft(null);
      }}
      onClose={() => setDraft(null)}
    />
  );

  return { drafting, start, dialog };
}

interface DialogProps {
  draft: ScriptDraft;
  /** The editor's text length; null when there is no editor to put it in (copy only). */
  currentChars: number | null;
  onReplace?: (() => void) | undefined;
  onCopy: () => void;
  onClose: () => void;
}

/** The draft, and the choice: replace the editor's text (only when confirmed here), copy it, or neither. */
export function ScriptDraftDialog({ draft, currentChars, onReplace, onCopy, onClose }: DialogProps) {
  const t = useT();
  return (
    <Modal
      title={t('summarize.draft.title', { title: draft.title })}
      onClose={onClose}
      size="lg"
      testId="script-draft-dialog"
      initialFocus='[data-testid="script-draft-cancel"]'
    >
      <div className="modal-body">
      <p className="confirm-text" data-testid="script-draft-note">
        {onReplace
          ? currentChars
            ? t('summarize.draft.replaceNote', { count: currentChars, formatted: formatNumber(currentChars) })
            : t('summarize.draft.emptyNote')
          : t('summarize.draft.copyOnlyNote')}
      </p>
      <pre className="script-draft-preview" data-testid="script-draft-preview">
        {draft.script}
      </pre>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" data-testid="script-draft-cancel" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="button" className="button secondary" data-testid="script-draft-copy" onClick={onCopy}>
          {t('summarize.draft.copy')}
        </button>
        {onReplace && (
          <button type="button" className={`button ${currentChars ? 'danger' : 'primary'}`} data-testid="script-draft-replace" onClick={onReplace}>
            {currentChars ? t('summarize.draft.replace') : t('summarize.draft.insert')}
          </button>
        )}
      </footer>
    </Modal>
  );
}
