/**
 * The server's status transition tables (src/states.rs: each status enum declares its legal
 * transitions in one place), for the states the UI offers actions on. The OpenAPI document carries
 * them as the `x-transitions` of each status schema; states.test.ts checks these agree with it,
 * and their keys are the generated unions, so a new state fails the typecheck until it is placed.
 */
import type { ExportStatus, RunStatus, ShotStatus, StepStatus } from '../api/types';

export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export const RUN_TRANSITIONS: Transitions<RunStatus> = {
  queued: ['running', 'paused', 'cancelled'],
  running: ['paused', 'waiting_review', 'completed', 'failed', 'cancelled'],
  paused: ['running', 'cancelled'],
  waiting_review: ['running', 'cancelled'],
  completed: [],
  failed: ['running'],
  cancelled: ['running'],
};

export const STEP_TRANSITIONS: Transitions<StepStatus> = {
  pending: ['running', 'cancelled'],
  running: ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'],
  waiting: ['completed', 'cancelled'],
  completed: [],
  failed: ['pending'],
  cancelled: ['pending'],
};

export const EXPORT_TRANSITIONS: Transitions<ExportStatus> = {
  queued: ['processing', 'failed', 'cancelled'],
  processing: ['processing', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

const SHOT_WORKING: readonly ShotStatus[] = ['pending', 'generating', 'completed', 'approved', 'rejected', 'failed'];

export const SHOT_TRANSITIONS: Transitions<ShotStatus> = {
  pending: SHOT_WORKING,
  generating: SHOT_WORKING,
  completed: SHOT_WORKING,
  approved: ['completed', 'approved'],
  rejected: SHOT_WORKING,
  failed: SHOT_WORKING,
};

/** Whether a row in `from` may become `to` (an unknown `from` may become nothing). */
export function canBecome<S extends string>(table: Transitions<S>, from: string, to: S): boolean {
  return (table as Readonly<Record<string, readonly string[] | undefined>>)[from]?.includes(to) ?? false;
}
