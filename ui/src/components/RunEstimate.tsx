import { useEffect, useState } from 'react';
import { estimateRun } from '../api/credits';
import { estimateVerdict, type Verdict } from '../lib/credits';
import './credits.css';

/** The cost estimate shown beside a run's start button (DESIGN §8: 402 before work starts). */
export function RunEstimate({ projectId, templateId }: { projectId: string; templateId: string }) {
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  useEffect(() => {
    const ctrl = new AbortController();
    setVerdict(null);
    estimateRun({ project_id: projectId, template_id: templateId }, ctrl.signal)
      .then((e) => setVerdict(estimateVerdict(e)))
      // Without the billing scope (or offline) the estimate is simply not shown.
      .catch(() => setVerdict(null));
    return () => ctrl.abort();
  }, [projectId, templateId]);
  if (!verdict) return null;
  return (
    <span className={`run-estimate muted ${verdict.kind}`} data-testid="run-estimate" data-kind={verdict.kind}>
      {verdict.text}
    </span>
  );
}
