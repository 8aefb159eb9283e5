import { useEffect, useState } from 'react';
import { estimateRun, type RunEstimate as Estimate } from '../api/credits';
import { useLocale } from '../i18n';
import { estimateVerdict } from '../lib/credits';
import './credits.css';

/** The cost estimate shown beside a run's start button (docs/API-LEDGER.md: 402 before work starts). */
export function RunEstimate({ projectId, templateId }: { projectId: string; templateId: string }) {
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  useLocale(); // the verdict's words follow a language switch
  useEffect(() => {
    const ctrl = new AbortController();
    setEstimate(null);
    estimateRun({ project_id: projectId, template_id: templateId }, ctrl.signal)
      .then(setEstimate)
      // Without the billing scope (or offline) the estimate is simply not shown.
      .catch(() => setEstimate(null));
    return () => ctrl.abort();
  }, [projectId, templateId]);
  if (!estimate) return null;
  const verdict = estimateVerdict(estimate);
  return (
    <span className={`run-estimate muted ${verdict.kind}`} data-testid="run-estimate" data-kind={verdict.kind}>
      {verdict.text}
    </span>
  );
}
