import { request } from '../transport';
import { apiPath } from './paths';
import type {
  DecisionInput,
  Page,
  ReviewQueue,
  Run,
  RunAction,
  StartRunInput,
  TemplateVersion,
  WorkflowTemplate,
} from './types';

/* ---------- templates ---------- */

export function listTemplates(signal?: AbortSignal): Promise<Page<WorkflowTemplate>> {
  return request<Page<WorkflowTemplate>>('GET', '/api/v1/workflows/templates', undefined, signal);
}

export function getTemplate(templateId: string, signal?: AbortSignal): Promise<WorkflowTemplate> {
  return request<WorkflowTemplate>('GET', apiPath('workflows', 'templates', templateId), undefined, signal);
}

export function getTemplateVersion(templateId: string, versionId: string, signal?: AbortSignal): Promise<TemplateVersion> {
  return request<TemplateVersion>(
    'GET',
    apiPath('workflows', 'templates', templateId, 'versions', versionId),
    undefined,
    signal,
  );
}

/* ---------- runs ---------- */

const runPath = (id: string) => apiPath('workflow-runs', id);

/** Starts a run (201). 409 when the version already has an active run. */
export function startRun(input: StartRunInput): Promise<Run> {
  return request<Run>('POST', '/api/v1/workflow-runs', input);
}

export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return request<Run>('GET', runPath(id), undefined, signal);
}

/** The version's latest run; 404 (ApiError.isNotFound) when it has none yet. */
export function getLatestRun(projectId: string, versionId: string, signal?: AbortSignal): Promise<Run> {
  return request<Run>('GET', `${apiPath('projects', projectId, 'versions', versionId)}/workflow/run`, undefined, signal);
}

/** Returns null instead of throwing when the version has no run yet. */
export async function findLatestRun(projectId: string, versionId: string, signal?: AbortSignal): Promise<Run | null> {
  try {
    return await getLatestRun(projectId, versionId, signal);
  } catch (e) {
    if ((e as { isNotFound?: boolean }).isNotFound === true) return null;
    throw e;
  }
}

export function pauseRun(id: string): Promise<RunAction> {
  return request<RunAction>('POST', `${runPath(id)}/pause`);
}

export function resumeRun(id: string): Promise<RunAction> {
  return request<RunAction>('POST', `${runPath(id)}/resume`);
}

export function cancelRun(id: string): Promise<RunAction> {
  return request<RunAction>('POST', `${runPath(id)}/cancel`);
}

/** Failed/cancelled nodes run again; finished ones are kept. */
export function retryRun(id: string): Promise<RunAction> {
  return request<RunAction>('POST', `${apiPath('workflow', 'runs', id)}/retry`);
}

/** The path of the run's server-sent events (see transport/events.ts). */
export function runEventsPath(id: string): string {
  return `${runPath(id)}/events`;
}

/* ---------- review ---------- */

const reviewPath = (nodeRunId: string) => `${apiPath('workflow', 'node-runs', nodeRunId)}/review`;

export function getReviewQueue(nodeRunId: string, signal?: AbortSignal): Promise<ReviewQueue> {
  return request<ReviewQueue>('GET', `${reviewPath(nodeRunId)}/assets`, undefined, signal);
}

export function decide(nodeRunId: string, input: DecisionInput): Promise<ReviewQueue> {
  return request<ReviewQueue>('POST', `${reviewPath(nodeRunId)}/decision`, input);
}

/** Replaces the shot's keyframe with `file` (the replacement counts as approved). */
export function uploadReplacement(nodeRunId: string, itemKey: string, file: File): Promise<ReviewQueue> {
  const form = new FormData();
  form.append('item_key', itemKey);
  form.append('file', file, file.name);
  return request<ReviewQueue>('POST', `${reviewPath(nodeRunId)}/upload`, form);
}

/** Human select (k of n candidates): for each shot, the chosen candidates (the first becomes its keyframe). */
export function humanSelect(runId: string, nodeRunId: string, selections: Record<string, string[]>): Promise<ReviewQueue> {
  return request<ReviewQueue>('POST', `${runPath(runId)}/actions/human-select`, { node_run_id: nodeRunId, selections });
}

/** Rejected shots are redrawn with their comment as feedback, then the run goes on. */
/** Closes the review; `keepUnresolved` goes on although some rejections have no approved redraw. */
export function continueReview(nodeRunId: string, keepUnresolved = false): Promise<Run> {
  return request<Run>('POST', `${reviewPath(nodeRunId)}/continue`, keepUnresolved ? { keep_unresolved: true } : undefined);
}
