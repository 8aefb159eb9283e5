import { createContext, useContext } from 'react';
import type { Workspace } from '../../api/workspaces';
import { canEdit } from './roles';

/** The signed-in user's workspaces and the one the app acts in (accounts mode only). */
export interface WorkspaceApi {
  workspaces: Workspace[];
  current: Workspace;
  /** Acts in another workspace: the transport's header changes and the pages load again. */
  switchTo: (id: string) => void;
  /** Reads the list again (after a rename, a new member, leaving); resolves with it. */
  reload: () => Promise<Workspace[]>;
  /** Adds (or replaces) a workspace in the list, e.g. one just created or joined. */
  upsert: (w: Workspace) => void;
}

export const WorkspaceContext = createContext<WorkspaceApi | null>(null);

/** The workspaces of accounts mode, or null (local mode and the desktop: only the personal one). */
export function useWorkspace(): WorkspaceApi | null {
  return useContext(WorkspaceContext);
}

/**
 * Whether the UI should offer editing: always outside accounts mode (one owner), else by the role
 * in the current workspace. The server decides either way; this only spares people a 403.
 */
export function useCanEdit(): boolean {
  const ws = useContext(WorkspaceContext);
  return ws == null || canEdit(ws.current.role);
}
