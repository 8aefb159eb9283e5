import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import {
  adminUsersPath,
  changePassword,
  createApiKey,
  deleteUser,
  getMe,
  getUser,
  listApiKeys,
  listUsers,
  login,
  loginBody,
  logout,
  refresh,
  register,
  revokeApiKey,
  setUserStatus,
  updateMe,
  updateUser,
} from './accounts';

describe('loginBody', () => {
  it('sends an address as email and anything else as username', () => {
    expect(loginBody({ login: ' ann@example.com ', password: 'pw' })).toEqual({ email: 'ann@example.com', password: 'pw' });
    expect(loginBody({ login: 'ann', password: 'pw' })).toEqual({ username: 'ann', password: 'pw' });
  });
});

describe('adminUsersPath', () => {
  it('defaults to page 1, limit 20, no status', () => {
    expect(adminUsersPath()).toBe('/api/v1/admin/users?page=1&limit=20');
    expect(adminUsersPath({ status: 'all', page: 2 })).toBe('/api/v1/admin/users?page=2&limit=20');
  });
  it('adds the status and clamps page and limit', () => {
    expect(adminUsersPath({ status: 'suspended', page: 0, limit: 500 })).toBe('/api/v1/admin/users?status=suspended&page=1&limit=100');
  });
});

describe('account calls', () => {
  afterEach(() => setTransport(undefined));

  function install() {
    const calls: { url: string; method?: string; body?: unknown }[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, method: init?.method, body: init?.body ? JSON.parse(init.body as string) : undefined });
      return new Response('{}', { status: 200 });
    });
    setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
    return calls;
  }

  it('use the documented methods, paths and bodies', async () => {
    const calls = install();
    await register({ username: 'ann', email: 'a@b.co', password: 'pw123456', confirm_password: 'pw123456' });
    await login({ login: 'ann', password: 'pw123456' });
    await refresh('slr_1');
    await logout('slr_2');
    await getMe();
    await updateMe({ display_name: 'Ann' });
    await changePassword({ current_password: 'a', new_password: 'b' });
    await listApiKeys();
    await createApiKey({ name: 'ci', scopes: ['read'], expires_at: '2030-01-01T00:00:00Z' });
    await revokeApiKey('k/1');
    await listUsers({ status: 'active', page: 3, limit: 10 });
    await setUserStatus('u 1', 'suspended');
    await getUser('u 2');
    await updateUser('u 2', { role: 'admin' });
    await updateUser('u 2', { password: 'new-secret', current_password: 'old-secret' });
    await deleteUser('u 2');
    expect(calls).toEqual([
      {
        url: '/api/v1/auth/register',
        method: 'POST',
        body: { username: 'ann', email: 'a@b.co', password: 'pw123456', confirm_password: 'pw123456' },
      },
      { url: '/api/v1/auth/login', method: 'POST', body: { username: 'ann', password: 'pw123456' } },
      { url: '/api/v1/auth/refresh', method: 'POST', body: { refresh_token: 'slr_1' } },
      { url: '/api/v1/auth/logout', method: 'POST', body: { refresh_token: 'slr_2' } },
      { url: '/api/v1/auth/me', method: 'GET', body: undefined },
      { url: '/api/v1/auth/me', method: 'PATCH', body: { display_name: 'Ann' } },
      { url: '/api/v1/auth/password', method: 'POST', body: { current_password: 'a', new_password: 'b' } },
      { url: '/api/v1/users/me/api-keys', method: 'GET', body: undefined },
      {
        url: '/api/v1/users/me/api-keys',
        method: 'POST',
        body: { name: 'ci', scopes: ['read'], expires_at: '2030-01-01T00:00:00Z' },
      },
      { url: '/api/v1/users/me/api-keys/k%2F1', method: 'DELETE', body: undefined },
      { url: '/api/v1/admin/users?status=active&page=3&limit=10', method: 'GET', body: undefined },
      { url: '/api/v1/admin/users/u%201/status', method: 'PUT', body: { status: 'suspended' } },
      { url: '/api/v1/users/u%202', method: 'GET', body: undefined },
      { url: '/api/v1/users/u%202', method: 'PATCH', body: { role: 'admin' } },
      { url: '/api/v1/users/u%202', method: 'PATCH', body: { password: 'new-secret', current_password: 'old-secret' } },
      { url: '/api/v1/users/u%202', method: 'DELETE', body: undefined },
    ]);
  });
});
