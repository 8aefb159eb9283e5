import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, type ReactNode } from 'react';
import { keys } from '../../api/queries';
import { listWorkspaces, type Workspace } from '../../api/workspaces';
import { useT } from '../../i18n';
import { navigate } from '../../lib/navigate';
import { parseRoute } from '../../lib/route';
import { getWorkspaceStore } from '../../lib/workspace';
import { errorMessage } from '../../transport';
import { WorkspaceContext, type WorkspaceApi } from './WorkspaceContext';

interface WorkspaceList {
  list: Workspace[];
  /** The workspace acted in. */
  currentId: string;
}

/**
 * Loads the signed-in user's workspaces, picks the one to act in (the stored choice, else the
 * personal one) and provides them. The children render only once that is settled, so no request
 * goes out with a stale `X-Workspace-Id`.
 */
export function WorkspaceProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const t = useT();
  const store = getWorkspaceStore();
  const queryClient = useQueryClient();
  const key = keys.workspaces.list(userId);
  const q = useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      if (store.user() !== userId) store.setUser(userId);
      const list = await listWorkspaces(signal);
      const chosen = store.reconcile(list);
      return { list, currentId: chosen?.id ?? userId };
    },
    // Coming back to the tab reads the list again: a workspace one was removed from (or that was
    // deleted) falls back to the personal one instead of failing every request with 404.
    refetchOnWindowFocus: true,
    gcTime: 0,
  });
  const { refetch } = q;

  // Signed out (the provider goes away): forget the selection in memory.
  useEffect(() => () => store.setUser(null), [store]);

  const switchTo = useCallback(
    (id: string) => {
      store.select(id);
      queryClient.setQueryData<WorkspaceList>(key, (d) => (d ? { ...d, currentId: store.current() ?? d.currentId } : d));
      // A project belongs to one workspace: the editor of the old one has nothing to show here.
      if (parseRoute(window.location.hash).name === 'project') navigate({ name: 'projects' });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [store, queryClient, userId],
  );

  const upsert = useCallback(
    (w: Workspace) => {
      queryClient.setQueryData<WorkspaceList>(key, (d) => {
        if (!d) return d;
        const i = d.list.findIndex((x) => x.id === w.id);
        return { ...d, list: i >= 0 ? d.list.map((x) => (x.id === w.id ? w : x)) : [...d.list, w] };
      });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [queryClient, userId],
  );

  const reload = useCallback(async () => (await refetch({ throwOnError: true })).data?.list ?? [], [refetch]);

  const data = q.data;
  const api = useMemo<WorkspaceApi | null>(() => {
    if (!data) return null;
    const current = data.list.find((w) => w.id === data.currentId) ?? data.list.find((w) => w.personal) ?? data.list[0];
    if (!current) return null;
    return { workspaces: data.list, current, switchTo, reload, upsert };
  }, [data, switchTo, reload, upsert]);

  // Only a first read that failed stops the app; a failed re-read keeps what was read.
  if (!data && q.isError) {
    return (
      <div className="auth-screen">
        <div className="load-error panel" role="alert" data-testid="workspaces-error">
          <div>
            <h2>{t('workspace.loadFailed')}</h2>
            <p>{errorMessage(q.error)}</p>
          </div>
          <button
            type="button"
            className="button secondary"
            onClick={() => void queryClient.resetQueries({ queryKey: key })}
          >
            {t('common.tryAgain')}
          </button>
        </div>
      </div>
    );
  }
  if (!api) return <div className="boot" aria-busy="true" data-testid="booting" />;
  return <WorkspaceContext.Provider value={api}>{children}</WorkspaceContext.Provider>;
}
