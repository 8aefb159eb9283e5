/** Test fixtures: a share queued on the desktop, with defaults (queued, never tried). */
import type { QueuedShare } from './remoteShares';

export function queuedShare(over: Partial<QueuedShare> = {}): QueuedShare {
  return {
    id: 'q1',
    project_id: 'p1',
    export_id: 'e1',
    include_storyboard: true,
    expires_at: null,
    has_password: false,
    status: 'queued',
    attempts: 0,
    last_error: null,
    next_try_at: null,
    share_id: null,
    url: null,
    created_at: '2026-05-01T09:00:00Z',
    updated_at: '2026-05-01T09:00:00Z',
    ...over,
  };
}
