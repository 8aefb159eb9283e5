import { QueryClientProvider } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { makeQueryClient } from '../../api/queryClient';
import type { User } from '../../api/accounts';
import { Sidebar } from '../Sidebar';
import { ToastProvider } from '../Toasts';
import { OWNER_ID, workspace } from './fixtures';
import type { WorkspaceApi } from './WorkspaceContext';

const user: User = {
  id: OWNER_ID,
  username: 'olga',
  email: null,
  display_name: null,
  role: 'user',
  is_admin: false,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
};

const team = workspace({ role: 'editor' });
const ws: WorkspaceApi = {
  workspaces: [workspace({ id: OWNER_ID, personal: true, name: 'olga' }), team],
  current: team,
  switchTo: () => undefined,
  reload: async () => [],
  upsert: () => undefined,
};

const render = (props: Parameters<typeof Sidebar>[0]) =>
  renderToStaticMarkup(
    <QueryClientProvider client={makeQueryClient()}>
      <ToastProvider>
        <Sidebar {...props} />
      </ToastProvider>
    </QueryClientProvider>,
  );

describe('sidebar and workspaces', () => {
  it('local mode: no switcher, no Team entry', () => {
    const html = render({ route: { name: 'projects' } });
    expect(html).not.toContain('data-testid="workspace-switcher"');
    expect(html).not.toContain('data-testid="nav-team"');
  });

  it('the model router\'s Models and Usage: accounts mode only', () => {
    const local = render({ route: { name: 'projects' } });
    expect(local).not.toContain('data-testid="nav-models"');
    expect(local).not.toContain('data-testid="nav-usage"');
    const html = render({ route: { name: 'usage' }, account: { user, onSignOut: async () => undefined }, workspace: ws });
    expect(html).toMatch(/class="nav-item" href="#\/models" data-testid="nav-models"/);
    expect(html).toMatch(/class="nav-item active" href="#\/usage" aria-current="page" data-testid="nav-usage"/);
  });

  it('accounts mode: the current workspace with your role, and the Team entry', () => {
    const html = render({ route: { name: 'team' }, account: { user, onSignOut: async () => undefined }, workspace: ws });
    expect(html).toMatch(/data-testid="current-workspace-name">Studio North</);
    expect(html).toMatch(/data-testid="current-workspace-role">editor</);
    expect(html).toMatch(/class="nav-item active" href="#\/team" aria-current="page" data-testid="nav-team"/);
  });
});
