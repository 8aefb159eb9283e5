/**
 * The run tab's data: the version's latest run from the query cache (`keys.workflows.latestRun`),
 * kept live — server-sent events in the browser, the shell's Tauri events on the desktop, polling
 * otherwise (`lib/liveRun.ts`) — by writing each newer snapshot into that cache entry; the
 * template graph it was started from; and the server's templates for the picker.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { loadOf } from '../../api/load';
import { keys, newerRun, useLatestRun, useTemplateGraph, useTemplates } from '../../api/queries';
import { BUILTIN_TEMPLATES, type Run } from '../../api/types';
import { getRun, runEventsPath } from '../../api/workflows';
import { humanize } from '../../lib/format';
import { watchRun, type LiveMode, type LiveRunWatcher } from '../../lib/liveRun';
import { eventStreamUrl, getTransport, openEventStream } from '../../transport';
import { openDesktopRunStream } from '../../transport/desktopEvents';

export function useFollowedRun(projectId: string, versionId: string) {
  const queryClient = useQueryClient();
  const query = useLatestRun(projectId, versionId);
  const run = query.data ?? null;
  const [live, setLive] = useState<LiveMode | null>(null);
  const [stale, setStale] = useState(false);
  const watcher = useRef<LiveRunWatcher | null>(null);

  /** Shows `r` unless a newer snapshot of the same run is shown already. */
  const showRun = useCallback(
    (r: Run) => queryClient.setQueryData<Run | null>(keys.workflows.latestRun(projectId, versionId), (prev) => newerRun(prev, r)),
    [queryClient, projectId, versionId],
  );
  const reload = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: keys.workflows.latestRun(projectId, versionId) }),
    [queryClient, projectId, versionId],
  );

  // Live updates of the shown run: events when the transport can stream, polling otherwise.
  const runId = run?.id ?? null;
  useEffect(() => {
    if (!runId) return;
    const w = watchRun({
      // Server-sent events in the browser; the shell's Tauri events on the desktop.
      openStream: (handlers) =>
        getTransport().kind === 'desktop'
          ? openDesktopRunStream(runId, handlers)
          : openEventStream(eventStreamUrl(runEventsPath(runId)), ['state', 'progress'], handlers),
      fetchRun: () => getRun(runId),
      onRun: (r) => {
        setStale(false);
        showRun(r);
      },
      onError: () => setStale(true),
      onMode: setLive,
    });
    watcher.current = w;
    return () => {
      w.stop();
      watcher.current = null;
    };
  }, [runId, showRun]);

  /** Shows an action's answer and re-reads the run now (polling restarts if it is going again). */
  const applyAction = useCallback(
    (r: Run) => {
      showRun(r);
      watcher.current?.refresh();
    },
    [showRun],
  );
  const refresh = useCallback(() => watcher.current?.refresh(), []);

  return { load: loadOf(query), run, live, stale, reload, showRun, applyAction, refresh };
}

/** The graph of the template version `run` was started from (null while read, or unreadable). */
export function useRunGraph(run: Run | null) {
  const { data } = useTemplateGraph(run?.template_id ?? null, run?.template_version_id ?? null);
  return data ?? null;
}

/** The picker's templates: the server's, or the built-ins when it has none or cannot be read. */
export function useTemplateChoices(): { id: string; name: string }[] {
  const { data } = useTemplates();
  return useMemo(
    () =>
      data && data.items.length
        ? data.items.map((tpl) => ({ id: tpl.id, name: tpl.name }))
        : BUILTIN_TEMPLATES.map((id) => ({ id, name: humanize(id) })),
    [data],
  );
}
