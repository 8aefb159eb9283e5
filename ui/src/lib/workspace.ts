/**
 * The workspace the browser acts in (accounts mode). Each signed-in user has their own choice,
 * kept in localStorage under `storyloom.workspace.<user id>` so it survives new tabs and a
 * sign-in on a shared machine doesn't inherit someone else's. The personal workspace (id = user
 * id) is the default and is sent as no header at all; any other selected id goes out as
 * `X-Workspace-Id` on every API request (transport/index.ts reads `headerValue()`).
 *
 * A stored id that is no longer among the user's workspaces (left, removed, deleted) falls back
 * to the personal workspace when the list is next read (`reconcile`).
 */
export const WORKSPACE_STORAGE_PREFIX = 'storyloom.workspace.';

export type WorkspaceStorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface WorkspaceLike {
  id: string;
  personal: boolean;
}

export type WorkspaceListener = (workspaceId: string | null) => void;

export interface WorkspaceStore {
  /** Whose choice is loaded (null: nobody signed in). */
  user(): string | null;
  /** Loads the user's stored choice (null: signed out, forget the selection). */
  setUser(userId: string | null): void;
  /** The selected workspace id: the personal one (= user id) unless another is chosen. */
  current(): string | null;
  /** The `X-Workspace-Id` to send: null for the personal workspace (or nobody signed in). */
  headerValue(): string | null;
  /** Selects a workspace and remembers it for this user. */
  select(workspaceId: string): void;
  /**
   * Given the user's workspaces, the one to act in: the stored one when it is still listed,
   * else the personal one (and the stale choice is forgotten). Undefined for an empty list.
   */
  reconcile<W extends WorkspaceLike>(list: readonly W[]): W | undefined;
  subscribe(listener: WorkspaceListener): () => void;
}

/** The workspace to act in: `selected` when listed, else the personal one, else the first. */
export function pickWorkspace<W extends WorkspaceLike>(list: readonly W[], selected: string | null): W | undefined {
  return (selected ? list.find((w) => w.id === selected) : undefined) ?? list.find((w) => w.personal) ?? list[0];
}

export function createWorkspaceStore(storage?: WorkspaceStorageLike): WorkspaceStore {
  let userId: string | null = null;
  let selected: string | null = null;
  const listeners = new Set<WorkspaceListener>();

  const key = (u: string) => `${WORKSPACE_STORAGE_PREFIX}${u}`;

  function read(u: string): string | null {
    try {
      const v = storage?.getItem(key(u));
      return v && v.trim() ? v.trim() : null;
    } catch {
      return null;
    }
  }

  function write(u: string, id: string | null) {
    try {
      if (id && id !== u) storage?.setItem(key(u), id);
      else storage?.removeItem(key(u));
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
  }

  function set(id: string | null) {
    const before = current();
    selected = id && id !== userId ? id : null;
    const after = current();
    if (before !== after) for (const l of [...listeners]) l(after);
  }

  function current(): string | null {
    return selected ?? userId;
  }

  return {
    user: () => userId,
    setUser(u) {
      const before = current();
      userId = u;
      selected = u ? read(u) : null;
      if (selected === u) selected = null;
      const after = current();
      if (before !== after) for (const l of [...listeners]) l(after);
    },
    current,
    headerValue: () => (userId ? selected : null),
    select(id) {
      if (!userId) return;
      write(userId, id);
      set(id);
    },
    reconcile(list) {
      const chosen = pickWorkspace(list, selected);
      if (!chosen) return undefined;
      if (userId) {
        const next = chosen.personal ? null : chosen.id;
        if (next !== selected) write(userId, next);
        set(next);
      }
      return chosen;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

let current: WorkspaceStore | undefined;

/** The page's workspace store (window.localStorage), created on first use. */
export function getWorkspaceStore(): WorkspaceStore {
  if (!current) {
    let storage: WorkspaceStorageLike | undefined;
    try {
      storage = typeof window === 'undefined' ? undefined : window.localStorage;
    } catch {
      storage = undefined;
    }
    current = createWorkspaceStore(storage);
  }
  return current;
}

/** Replaces the page's store (tests). */
export function setWorkspaceStore(s: WorkspaceStore | undefined): void {
  current = s;
}
