import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { getExport, previewExport } from '../../api/export';
import { loadOf, type Load } from '../../api/load';
import { keys, useAssets, useExportEstimateQuery, useExportHistory, useStoryboard } from '../../api/queries';
import type { Asset, Export, ExportEstimate, ExportPreviewRequest, ExportRequest, Page } from '../../api/types';
import { i18n } from '../../i18n';
import { DEFAULT_POLL_POLICY, watchExport, type ExportWatcher } from '../../lib/exportPoll';
import { listenExportProgress } from '../../transport/desktopEvents';
import { requestKey } from '../../lib/exportSettings';
import { useDebounced } from '../../lib/useDebounced';
import type { ShotLike } from '../../lib/exportPlayer';
import { isExportFinished, newerExport, newestFirst } from '../../lib/exportStatus';
import { errorMessage, getTransport } from '../../transport';

const ESTIMATE_DEBOUNCE_MS = 200;
export const HISTORY_LIMIT = 10;

export type EstimateKind = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The estimate of the export the form describes, re-read (debounced, latest wins) whenever the
 * settings change. While a newer one loads, the previous stays shown (`fresh` false).
 */
export function useExportEstimate(body: ExportRequest, key: string) {
  const settledBody = useDebounced(body, ESTIMATE_DEBOUNCE_MS);
  const settledKey = useMemo(() => requestKey(settledBody), [settledBody]);
  const q = useExportEstimateQuery(settledBody, settledKey);
  const settled = settledKey === key;
  const kind: EstimateKind = !settled || q.isFetching ? 'loading' : q.isError ? 'error' : q.data ? 'ready' : 'loading';
  const estimate: ExportEstimate | null = q.isError ? null : (q.data ?? null);
  return {
    estimate,
    kind,
    fresh: kind === 'ready' && !q.isPlaceholderData,
    error: settled && q.isError ? (q.error as unknown) : null,
  };
}

/**
 * The project's past exports, newest first, a page at a time. `onFirst` gets the first page read
 * (the dialog follows an export of this version that is still going).
 */
export function useExportHistoryPage(projectId: string, onFirst: (items: Export[]) => void) {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const q = useExportHistory({ projectId, page, limit: HISTORY_LIMIT });
  const data = q.data;
  const pastEnd = !!data && data.items.length === 0 && page > 1;
  useEffect(() => {
    if (pastEnd && data) setPage(Math.max(1, data.totalPages));
  }, [pastEnd, data]);
  const attached = useRef(false);
  useEffect(() => {
    if (!data || attached.current) return;
    attached.current = true;
    onFirst(data.items);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);
  const sorted = useMemo(() => (data ? { ...data, items: newestFirst(data.items) } : undefined), [data]);
  const history: Load<Page<Export>> = pastEnd ? { kind: 'loading' } : loadOf({ ...q, data: sorted });
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.exports.all }), [queryClient]);
  return { history, page, setPage, reload };
}

/** Uploaded music: the project's audio assets that no run generated. None when they cannot be read. */
export function useMusic(projectId: string): Asset[] {
  const { data } = useAssets({ projectId, type: 'audio', limit: 100 });
  return useMemo(
    () =>
      (data?.items ?? []).filter((a) => {
        const m = a.metadata as { run_id?: unknown } | null;
        return !(m && typeof m === 'object' && m.run_id);
      }),
    [data],
  );
}

/** The version's shots, for the player's shot list (the player works without them). */
export function useBoardShots(projectId: string, versionId: string): ShotLike[] {
  const { data } = useStoryboard(projectId, versionId);
  return useMemo(() => (data ? data.scenes.flatMap((sc) => sc.shots) : []), [data]);
}

/** The instant preview: made on request (a POST), so a mutation rather than a read. */
export function useExportPreview() {
  return useMutation({ mutationFn: (input: ExportPreviewRequest) => previewExport(input) });
}

/** How often the desktop reads a followed export besides the shell's progress events. */
const DESKTOP_SAFETY_POLL_MS = 5000;

export type WatchProblem = { kind: 'reconnecting' | 'stopped'; message: string } | null;

/** The export the dialog follows (events, else polling) until it finishes. */
export function useFollowedExport() {
  const [current, setCurrent] = useState<Export | null>(null);
  const [watchProblem, setWatchProblem] = useState<WatchProblem>(null);
  const watcher = useRef<ExportWatcher | null>(null);
  const currentId = current?.id ?? null;
  const active = current !== null && !isExportFinished(current.status);
  useEffect(() => {
    if (!currentId || !active) return;
    setWatchProblem(null);
    // The desktop shell pushes export progress as Tauri events: each one reads the export at once,
    // and the poll only guards against a missed event.
    const desktop = getTransport().kind === 'desktop';
    const w = watchExport({
      fetchExport: () => getExport(currentId),
      immediate: true,
      policy: desktop ? { ...DEFAULT_POLL_POLICY, intervalMs: DESKTOP_SAFETY_POLL_MS } : undefined,
      onExport: (e) => {
        setWatchProblem(null);
        setCurrent((prev) => newerExport(prev, e));
      },
      onError: (e) => setWatchProblem({ kind: 'reconnecting', message: errorMessage(e) }),
      onStop: (reason, err) => {
        if (reason === 'gone') setWatchProblem({ kind: 'stopped', message: i18n.t('exportDialog.gone') });
        else if (reason === 'error') setWatchProblem({ kind: 'stopped', message: errorMessage(err) });
      },
    });
    watcher.current = w;
    const unlisten = desktop ? listenExportProgress(currentId, () => w.refresh(), () => undefined) : null;
    return () => {
      unlisten?.();
      w.stop();
      watcher.current = null;
    };
  }, [currentId, active]);
  return { current, setCurrent, active, watchProblem, setWatchProblem, refresh: () => watcher.current?.refresh() };
}
