import { QueryClientProvider } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { makeQueryClient } from '../../api/queryClient';
import type { User } from '../../api/accounts';
import { parseRoute, routeHash } from '../../lib/route';
import { canAdminister } from '../App';
import { Sidebar } from '../Sidebar';
import { ToastProvider } from '../Toasts';

const user = (is_admin: boolean): User => ({
  id: 'u1',
  username: 'olga',
  email: null,
  display_name: null,
  role: is_admin ? 'admin' : 'user',
  is_admin,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
});

const render = (props: Parameters<typeof Sidebar>[0]) =>
  renderToStaticMarkup(
    <QueryClientProvider client={makeQueryClient()}>
      <ToastProvider>
        <Sidebar {...props} />
      </ToastProvider>
    </QueryClientProvider>,
  );

describe('Providers & Models in the sidebar', () => {
  it('has its own route', () => {
    expect(parseRoute('#/settings/providers')).toEqual({ name: 'providers' });
    expect(routeHash({ name: 'providers' })).toBe('#/settings/providers');
  });

  it('local mode: the local owner administers the instance', () => {
    expect(canAdminister(null)).toBe(true);
    const html = render({ route: { name: 'providers' } });
    expect(html).toMatch(/class="nav-item active" href="#\/settings\/providers" aria-current="page" data-testid="nav-providers"/);
  });

  it('accounts mode: only for instance admins', () => {
    const signOut = async () => undefined;
    expect(render({ route: { name: 'projects' }, account: { user: user(true), onSignOut: signOut } })).toContain('data-testid="nav-providers"');
    expect(render({ route: { name: 'projects' }, account: { user: user(false), onSignOut: signOut } })).not.toContain('data-testid="nav-providers"');
    const auth = (is_admin: boolean) => ({ user: user(is_admin), setUser: () => undefined, signOut: async () => undefined });
    expect(canAdminister(auth(true))).toBe(true);
    expect(canAdminister(auth(false))).toBe(false);
  });
});
