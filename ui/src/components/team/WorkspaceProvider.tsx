import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { listWorkspaces, type Workspace } from '../../api/workspaces';
import { useT } from '../../i18n';
import { navigate } from '../../lib/navigate';
import { parseRoute } from '../../lib/route';
import { getWorkspaceStore } from '../../lib/workspace';
import { errorMessage } from '../../transport';
import { WorkspaceContext, type WorkspaceApi } from './WorkspaceContext';

type Load = { kind: 'loading' } | { kind: 'ready'; list: Workspace[]; currentId: string } | { kind: 'error'; message: string };

/**
 * Loads the signed-in user's workspaces, picks the one to act in (the stored choice, else the
 * personal one) and provides them. The children render only once that is settled, so no request
 * goes out with a stale `X-Workspace-Id`.
 */
export function WorkspaceProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const t = useT();
  const store = getWorkspaceStore();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);

  const fetchList = useCallback(async (signal?: AbortSignal) => {
    const list = await listWorkspaces(signal);
    const chosen = store.reconcile(list);
    setLoad({ kind: 'ready', list, currentId: chosen?.id ?? userId });
    return list;
  }, [store, userId]);

  useEffect(() => {
    store.setUser(userId);
    const ctrl = new AbortController();
    fetchList(ctrl.signal).catch((e: unknown) => {
      if (!ctrl.signal.aborted) setLoad({ kind: 'error', message: errorMessage(e) });
    });
    return () => ctrl.abort();
  }, [store, userId, fetchList, attempt]);

  // Coming back to the tab reads the list again: a workspace one was removed from (or that was
  // deleted) falls back to the personal one instead of failing every request with 404.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') void fetchList().catch(() => undefined);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [fetchList]);

  // Signed out (the provider goes away): forget the selection in memory.
  useEffect(() => () => store.setUser(null), [store]);

  const switchTo = useCallback(
    (id: string) => {
      store.select(id);
      setLoad((l) => (l.kind === 'ready' ? { ...l, currentId: store.current() ?? l.currentId } : l));
      // A project belongs to one workspace: the editor of the old one has nothing to show here.
      if (parseRoute(window.location.hash).name === 'project') navigate({ name: 'projects' });
    },
    [store],
  );

  const upsert = useCallback((w: Workspace) => {
    setLoad((l) => {
      if (l.kind !== 'ready') return l;
      const i = l.list.findIndex((x) => x.id === w.id);
      const list = i >= 0 ? l.list.map((x) => (x.id === w.id ? w : x)) : [...l.list, w];
      return { ...l, list };
    });
  }, []);

  const api = useMemo<WorkspaceApi | null>(() => {
    if (load.kind !== 'ready') return null;
    const current = load.list.find((w) => w.id === load.currentId) ?? load.list.find((w) => w.personal) ?? load.list[0];
    if (!current) return null;
    return { workspaces: load.list, current, switchTo, reload: () => fetchList(), upsert };
  }, [load, switchTo, fetchList, upsert]);

  if (load.kind === 'error') {
    return (
      <div className="auth-screen">
        <div className="load-error panel" role="alert" data-testid="workspaces-error">
          <div>
            <h2>{t('workspace.loadFailed')}</h2>
            <p>{load.message}</p>
          </div>
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setLoad({ kind: 'loading' });
              setAttempt((a) => a + 1);
            }}
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
