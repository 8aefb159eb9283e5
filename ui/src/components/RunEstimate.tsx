import { useRunEstimate } from '../api/queries';
import { useLocale } from '../i18n';
import { estimateVerdict } from '../lib/credits';
import './credits.css';

/** The cost estimate shown beside a run's start button (docs/API-LEDGER.md: 402 before work starts). */
export function RunEstimate({ projectId, templateId }: { projectId: string; templateId: string }) {
  const q = useRunEstimate(projectId, templateId);
  useLocale(); // the verdict's words follow a language switch
  // Without the billing scope (or offline) the estimate is simply not shown.
  const estimate = q.isError ? null : q.data;
  if (!estimate) return null;
  const verdict = estimateVerdict(estimate);
  return (
    <span className={`run-estimate muted ${verdict.kind}`} data-testid="run-estimate" data-kind={verdict.kind}>
      {verdict.text}
    </span>
  );
}
