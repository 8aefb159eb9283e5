import { useRef } from 'react';
import { loadOf } from '../../api/load';
import { docFromEntry, docFromStream, useHistoryEntry, type SummarizeInput } from '../../api/summarize';
import { useT } from '../../i18n';
import { AlertIcon, CloseIcon } from '../Icons';
import { useScriptDraft, type ScriptTarget } from './ScriptDraft';
import { StreamProgress } from './StreamProgress';
import { SummarizeForm } from './SummarizeForm';
import { SummaryResult } from './SummaryResult';
import { useSummaryStream } from './useSummaryStream';

interface Props {
  /** Sent as `project_id` with a new analysis. */
  projectId?: string;
  /** Whether this person may start one (editors and up). */
  canStart: boolean;
  /** Where "Start a script from these beats" may put its draft; null: copy only. */
  scriptTarget: ScriptTarget | null;
  /** An earlier analysis to show instead of the last run's (null: the run's). */
  openId: string | null;
  onOpenId: (id: string | null) => void;
  compact?: boolean;
}

/**
 * Analyse a video: the form, the live progress, then the result; or an earlier analysis from the
 * history (`openId`), with the same tabs.
 */
export function Analyzer({ projectId, canStart, scriptTarget, openId, onOpenId, compact = false }: Props) {
  const t = useT();
  const stream = useSummaryStream();
  const lastInput = useRef<SummarizeInput | null>(null);
  const draft = useScriptDraft(scriptTarget);
  const entry = loadOf(useHistoryEntry(openId));
  const running = stream.state.phase === 'running' || stream.state.phase === 'reconnecting';
  const streamDoc = docFromStream(stream.state);

  function start(input: SummarizeInput) {
    lastInput.current = input;
    onOpenId(null);
    stream.start(input);
  }

  const doc = openId ? (entry.kind === 'ready' ? docFromEntry(entry.data) : null) : streamDoc;

  return (
    <div className="analyzer" data-testid="analyzer">
      <SummarizeForm projectId={projectId} busy={running} disabled={!canStart} onStart={start} compact={compact} />
      <StreamProgress
        state={stream.state}
        onCancel={stream.cancel}
        onRetry={lastInput.current ? () => start(lastInput.current!) : undefined}
      />
      {openId && (
        <div className="analyzer-open">
          <button type="button" className="button secondary button-sm" data-testid="close-entry" onClick={() => onOpenId(null)}>
            <CloseIcon size={14} />
            {streamDoc ? t('summarize.history.backToRun') : t('summarize.history.closeEntry')}
          </button>
          {entry.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
          {entry.kind === 'error' && (
            <p className="form-error" role="alert" data-testid="entry-error">
              <AlertIcon size={14} /> {entry.message}
            </p>
          )}
        </div>
      )}
      {doc && (
        <SummaryResult
          key={doc.id}
          doc={doc}
          drafting={draft.drafting}
          onScriptDraft={canStart ? () => void draft.start(doc.id) : undefined}
        />
      )}
      {draft.dialog}
    </div>
  );
}
