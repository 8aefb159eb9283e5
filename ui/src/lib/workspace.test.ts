import { describe, expect, it } from 'vitest';
import { createTransport } from '../transport';
import { WORKSPACE_STORAGE_PREFIX, createWorkspaceStore, pickWorkspace } from './workspace';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
  };
}

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const TEAM = '33333333-3333-4333-8333-333333333333';
const OTHER = '44444444-4444-4444-8444-444444444444';

const list = [
  { id: U1, personal: true, name: 'Personal' },
  { id: TEAM, personal: false, name: 'Team' },
];

describe('pickWorkspace', () => {
  it('keeps a listed choice, else falls back to the personal workspace', () => {
    expect(pickWorkspace(list, TEAM)?.name).toBe('Team');
    expect(pickWorkspace(list, OTHER)?.name).toBe('Personal');
    expect(pickWorkspace(list, null)?.name).toBe('Personal');
    expect(pickWorkspace([], TEAM)).toBeUndefined();
  });
});

describe('workspace store', () => {
  it('sends no header for the personal workspace or when signed out', () => {
    const s = createWorkspaceStore(memoryStorage());
    expect(s.headerValue()).toBeNull();
    expect(s.current()).toBeNull();
    s.select(TEAM); // nobody signed in: ignored
    expect(s.headerValue()).toBeNull();
    s.setUser(U1);
    expect(s.current()).toBe(U1);
    expect(s.headerValue()).toBeNull();
  });

  it('persists the choice per user and sends it as the header', () => {
    const storage = memoryStorage();
    const s = createWorkspaceStore(storage);
    s.setUser(U1);
    s.select(TEAM);
    expect(s.current()).toBe(TEAM);
    expect(s.headerValue()).toBe(TEAM);
    expect(storage.data.get(`${WORKSPACE_STORAGE_PREFIX}${U1}`)).toBe(TEAM);

    // Another user on the same machine starts in their personal workspace.
    s.setUser(U2);
    expect(s.headerValue()).toBeNull();
    expect(s.current()).toBe(U2);

    // A new page (a new store) reads U1's choice back.
    const again = createWorkspaceStore(storage);
    again.setUser(U1);
    expect(again.headerValue()).toBe(TEAM);

    // Signing out forgets the selection in memory, not on disk.
    again.setUser(null);
    expect(again.headerValue()).toBeNull();
    expect(storage.data.get(`${WORKSPACE_STORAGE_PREFIX}${U1}`)).toBe(TEAM);
  });

  it('selecting the personal workspace clears the stored choice', () => {
    const storage = memoryStorage({ [`${WORKSPACE_STORAGE_PREFIX}${U1}`]: TEAM });
    const s = createWorkspaceStore(storage);
    s.setUser(U1);
    s.select(U1);
    expect(s.headerValue()).toBeNull();
    expect(storage.data.has(`${WORKSPACE_STORAGE_PREFIX}${U1}`)).toBe(false);
  });

  it('reconcile falls back to personal when the stored workspace is gone, and forgets it', () => {
    const storage = memoryStorage({ [`${WORKSPACE_STORAGE_PREFIX}${U1}`]: OTHER });
    const s = createWorkspaceStore(storage);
    s.setUser(U1);
    expect(s.headerValue()).toBe(OTHER);
    const seen: (string | null)[] = [];
    s.subscribe((id) => seen.push(id));
    expect(s.reconcile(list)?.id).toBe(U1);
    expect(s.headerValue()).toBeNull();
    expect(storage.data.has(`${WORKSPACE_STORAGE_PREFIX}${U1}`)).toBe(false);
    expect(seen).toEqual([U1]);
  });

  it('reconcile keeps a stored workspace that is still listed', () => {
    const storage = memoryStorage({ [`${WORKSPACE_STORAGE_PREFIX}${U1}`]: TEAM });
    const s = createWorkspaceStore(storage);
    s.setUser(U1);
    expect(s.reconcile(list)?.id).toBe(TEAM);
    expect(s.headerValue()).toBe(TEAM);
  });

  it('tells subscribers only about real changes, and survives a throwing storage', () => {
    const throwing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const s = createWorkspaceStore(throwing);
    const seen: (string | null)[] = [];
    const off = s.subscribe((id) => seen.push(id));
    s.setUser(U1);
    s.select(TEAM);
    s.select(TEAM);
    expect(s.headerValue()).toBe(TEAM);
    off();
    s.select(U1);
    expect(seen).toEqual([U1, TEAM]);
  });
});

describe('the transport and the selected workspace', () => {
  async function headersOf(host: Parameters<typeof createTransport>[0], store: ReturnType<typeof createWorkspaceStore>) {
    const seen: Record<string, string>[] = [];
    const fetch = async (_url: string, init?: RequestInit) => {
      seen.push({ ...((init?.headers ?? {}) as Record<string, string>) });
      return new Response('{}', { status: 200 });
    };
    const t = createTransport(host, fetch, undefined, store);
    await t.request('GET', '/api/v1/projects');
    await t.requestBlob('/api/v1/projects/x/export/file');
    return { seen, t };
  }

  it('the browser sends X-Workspace-Id for a team workspace only', async () => {
    const store = createWorkspaceStore(memoryStorage());
    store.setUser(U1);
    const personal = await headersOf({}, store);
    expect(personal.seen.map((h) => h['X-Workspace-Id'])).toEqual([undefined, undefined]);
    store.select(TEAM);
    const team = await headersOf({}, store);
    expect(team.seen.map((h) => h['X-Workspace-Id'])).toEqual([TEAM, TEAM]);
    // EventSource can't send the header: the page polls instead.
    expect(team.t.eventStreamUrl('/api/v1/runs/r/events')).toBeNull();
  });

  it('the desktop shell never sends it', async () => {
    const store = createWorkspaceStore(memoryStorage());
    store.setUser(U1);
    store.select(TEAM);
    const { seen } = await headersOf({ __TAURI_INTERNALS__: {}, navigator: { userAgent: 'Linux' } }, store);
    expect(seen.every((h) => h['X-Workspace-Id'] === undefined)).toBe(true);
  });
});
