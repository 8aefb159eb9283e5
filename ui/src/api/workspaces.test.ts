import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import {
  acceptInvitation,
  createInvitation,
  createWorkspace,
  deleteWorkspace,
  invitationLink,
  listInvitations,
  listMembers,
  listWorkspaces,
  previewInvitation,
  removeMember,
  renameWorkspace,
  revokeInvitation,
  setMemberRole,
} from './workspaces';

describe('workspace calls', () => {
  afterEach(() => setTransport(undefined));

  function install(workspace: string | null = null) {
    const calls: { url: string; method?: string; body?: unknown; ws?: string | undefined }[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      calls.push({
        url,
        method: init?.method,
        body: init?.body ? JSON.parse(init.body as string) : undefined,
        ws: headers['X-Workspace-Id'],
      });
      return new Response('[]', { status: 200 });
    });
    setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch, getWorkspace: () => workspace }));
    return calls;
  }

  it('use the documented methods, paths and bodies', async () => {
    const calls = install();
    await listWorkspaces();
    await createWorkspace('Studio');
    await renameWorkspace('w/1', 'Studio 2');
    await deleteWorkspace('w1');
    await listMembers('w1');
    await setMemberRole('w1', 'u2', 'editor');
    await removeMember('w1', 'u2');
    await listInvitations('w1');
    await createInvitation('w1', { email: '  bo@example.com ', role: 'reviewer' });
    await createInvitation('w1', { email: '   ', role: 'viewer' });
    await createInvitation('w1', { role: 'admin' });
    await revokeInvitation('w1', 'i9');
    await previewInvitation('tok/en');
    await acceptInvitation('tok');
    expect(calls.map(({ url, method, body }) => ({ url, method, body }))).toEqual([
      { url: '/api/v1/workspaces', method: 'GET', body: undefined },
      { url: '/api/v1/workspaces', method: 'POST', body: { name: 'Studio' } },
      { url: '/api/v1/workspaces/w%2F1', method: 'PATCH', body: { name: 'Studio 2' } },
      { url: '/api/v1/workspaces/w1', method: 'DELETE', body: undefined },
      { url: '/api/v1/workspaces/w1/members', method: 'GET', body: undefined },
      { url: '/api/v1/workspaces/w1/members/u2', method: 'PATCH', body: { role: 'editor' } },
      { url: '/api/v1/workspaces/w1/members/u2', method: 'DELETE', body: undefined },
      { url: '/api/v1/workspaces/w1/invitations', method: 'GET', body: undefined },
      { url: '/api/v1/workspaces/w1/invitations', method: 'POST', body: { email: 'bo@example.com', role: 'reviewer' } },
      { url: '/api/v1/workspaces/w1/invitations', method: 'POST', body: { role: 'viewer' } },
      { url: '/api/v1/workspaces/w1/invitations', method: 'POST', body: { role: 'admin' } },
      { url: '/api/v1/workspaces/w1/invitations/i9', method: 'DELETE', body: undefined },
      { url: '/api/v1/invitations/tok%2Fen', method: 'GET', body: undefined },
      { url: '/api/v1/invitations/tok/accept', method: 'POST', body: undefined },
    ]);
  });

  it('the transport sends X-Workspace-Id only when a workspace is selected', async () => {
    const none = install(null);
    await listWorkspaces();
    expect(none[0]!.ws).toBeUndefined();
    const team = install('33333333-3333-4333-8333-333333333333');
    await listWorkspaces();
    expect(team[0]!.ws).toBe('33333333-3333-4333-8333-333333333333');
  });
});

describe('invitationLink', () => {
  it('is the page origin with the invite route', () => {
    expect(invitationLink('abc', 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/#/invite/abc');
    expect(invitationLink('a b', 'https://x.example/', '/app/')).toBe('https://x.example/app/#/invite/a%20b');
  });
});
