import { describe, expect, it } from 'vitest';
import { ADMIN_OPS_ROUTES, hashQuery, isAdminOpsRoute, parseRoute, referralFromHash, routeHash, tabOf } from './route';

describe('parseRoute', () => {
  it('reads the list and the editor routes', () => {
    expect(parseRoute('')).toEqual({ name: 'projects' });
    expect(parseRoute('#/')).toEqual({ name: 'projects' });
    expect(parseRoute('#/projects')).toEqual({ name: 'projects' });
    expect(parseRoute('#/projects/abc')).toEqual({ name: 'project', id: 'abc', tab: 'script' });
    expect(parseRoute('#/projects/abc/storyboard')).toEqual({ name: 'project', id: 'abc', tab: 'storyboard' });
    expect(parseRoute('#/projects/abc/assets/')).toEqual({ name: 'project', id: 'abc', tab: 'assets' });
    expect(parseRoute('#/projects/abc/runs')).toEqual({ name: 'project', id: 'abc', tab: 'runs' });
    expect(parseRoute('#/projects/abc/review')).toEqual({ name: 'project', id: 'abc', tab: 'review' });
    expect(parseRoute('#/credits')).toEqual({ name: 'credits' });
    expect(parseRoute('#/credits/')).toEqual({ name: 'credits' });
    expect(parseRoute('#/credits/x')).toEqual({ name: 'projects' });
    expect(parseRoute('#/references')).toEqual({ name: 'references' });
    expect(parseRoute('#/create')).toEqual({ name: 'create' });
    expect(parseRoute('#/create?tool=video_script')).toEqual({ name: 'create' });
    expect(parseRoute('#/creations')).toEqual({ name: 'creations' });
    expect(parseRoute('#/publish')).toEqual({ name: 'publish' });
    expect(parseRoute('#/create?tool=video&task=t1')).toEqual({ name: 'create' });
    expect(parseRoute('#/creations/x')).toEqual({ name: 'projects' });
  });

  it('falls back to the script tab for unknown tabs, and to the list for bad ids', () => {
    expect(parseRoute('#/projects/abc/nope')).toEqual({ name: 'project', id: 'abc', tab: 'script' });
    expect(parseRoute('#/projects/%E0%A4%A')).toEqual({ name: 'projects' });
    expect(parseRoute('#/elsewhere/abc')).toEqual({ name: 'projects' });
  });

  it('round-trips through routeHash', () => {
    for (const r of [
      { name: 'projects' } as const,
      { name: 'credits' } as const,
      { name: 'references' } as const,
      { name: 'create' } as const,
      { name: 'creations' } as const,
      { name: 'publish' } as const,
      { name: 'project', id: 'a/b c', tab: 'script' } as const,
      { name: 'project', id: 'x', tab: 'characters' } as const,
      { name: 'project', id: 'x', tab: 'runs' } as const,
      { name: 'project', id: 'x', tab: 'review' } as const,
    ]) {
      expect(parseRoute(routeHash(r))).toEqual(r);
    }
    expect(routeHash({ name: 'project', id: 'x', tab: 'script' })).toBe('#/projects/x');
  });
});

describe('tabOf', () => {
  it('shows the review queue under the Runs tab', () => {
    expect(tabOf('review')).toBe('runs');
    expect(tabOf('runs')).toBe('runs');
    expect(tabOf('assets')).toBe('assets');
  });
});

describe('account routes', () => {
  it('parse and format the account pages', () => {
    for (const [name, hash] of [
      ['sign-in', '#/sign-in'],
      ['sign-up', '#/sign-up'],
      ['account', '#/account'],
      ['api-keys', '#/account/api-keys'],
      ['admin-users', '#/admin/users'],
      ['models', '#/models'],
      ['usage', '#/usage'],
    ] as const) {
      expect(parseRoute(hash)).toEqual({ name });
      expect(parseRoute(`${hash}/`)).toEqual({ name });
      expect(routeHash({ name })).toBe(hash);
    }
    expect(parseRoute('#/account/other')).toEqual({ name: 'projects' });
  });
});

describe('workspace routes', () => {
  it('parse and format the team page and invitation links', () => {
    expect(parseRoute('#/team')).toEqual({ name: 'team' });
    expect(routeHash({ name: 'team' })).toBe('#/team');
    expect(parseRoute('#/invite/abc_DEF-123')).toEqual({ name: 'invite', token: 'abc_DEF-123' });
    expect(parseRoute('#/invite/abc/')).toEqual({ name: 'invite', token: 'abc' });
    expect(routeHash({ name: 'invite', token: 'a/b' })).toBe('#/invite/a%2Fb');
    expect(parseRoute(routeHash({ name: 'invite', token: 'a/b c' }))).toEqual({ name: 'invite', token: 'a/b c' });
  });

  it('sends a bare or malformed invite link to the list', () => {
    expect(parseRoute('#/invite')).toEqual({ name: 'projects' });
    expect(parseRoute('#/invite/a/b')).toEqual({ name: 'projects' });
    expect(parseRoute('#/invite/%E0%A4%A')).toEqual({ name: 'projects' });
  });
});

describe('payment routes', () => {
  it("parse and format the sandbox's payment page (an order's payment_url)", () => {
    const id = '01a24d47-39a3-70e8-97a8-d262642a635c';
    expect(parseRoute(`#/pay/sandbox/${id}`)).toEqual({ name: 'pay-sandbox', orderId: id });
    expect(parseRoute(`#/pay/sandbox/${id}/`)).toEqual({ name: 'pay-sandbox', orderId: id });
    expect(routeHash({ name: 'pay-sandbox', orderId: id })).toBe(`#/pay/sandbox/${id}`);
    expect(parseRoute(routeHash({ name: 'pay-sandbox', orderId: 'a/b c' }))).toEqual({ name: 'pay-sandbox', orderId: 'a/b c' });
  });

  it('sends a bare or malformed payment link to the list', () => {
    expect(parseRoute('#/pay')).toEqual({ name: 'projects' });
    expect(parseRoute('#/pay/sandbox')).toEqual({ name: 'projects' });
    expect(parseRoute('#/pay/alipay/x')).toEqual({ name: 'projects' });
    expect(parseRoute('#/pay/sandbox/a/b')).toEqual({ name: 'projects' });
    expect(parseRoute('#/pay/sandbox/%E0%A4%A')).toEqual({ name: 'projects' });
  });
});

describe('operations routes', () => {
  it('parse and format the admin operations tabs', () => {
    for (const [name, hash] of [
      ['admin-coupons', '#/admin/coupons'],
      ['admin-activities', '#/admin/activities'],
      ['admin-orders', '#/admin/orders'],
      ['admin-statistics', '#/admin/statistics'],
      ['admin-releases', '#/admin/releases'],
    ] as const) {
      expect(parseRoute(hash)).toEqual({ name });
      expect(parseRoute(`${hash}/`)).toEqual({ name });
      expect(routeHash({ name })).toBe(hash);
      expect(isAdminOpsRoute(name)).toBe(true);
    }
    expect(ADMIN_OPS_ROUTES).toEqual(['admin-coupons', 'admin-activities', 'admin-orders', 'admin-statistics', 'admin-releases']);
    expect(isAdminOpsRoute('admin-users')).toBe(false);
    expect(parseRoute('#/admin/users')).toEqual({ name: 'admin-users' });
    expect(parseRoute('#/admin/operations')).toEqual({ name: 'projects' });
    expect(parseRoute('#/admin/coupons/x')).toEqual({ name: 'projects' });
  });

  it('reads a query after the path without changing the route (a referral link)', () => {
    expect(parseRoute('#/sign-up?ref=ABC123')).toEqual({ name: 'sign-up' });
    expect(parseRoute('#/sign-up/?ref=ABC123')).toEqual({ name: 'sign-up' });
    expect(parseRoute('#/credits?tab=coupons')).toEqual({ name: 'credits' });
    expect(referralFromHash('#/sign-up?ref=ABC123')).toBe('ABC123');
    expect(referralFromHash('#/sign-up?x=1&ref=%20a%2Bb%20')).toBe('a+b');
    expect(referralFromHash('#/sign-up')).toBe('');
    expect(referralFromHash('')).toBe('');
    expect(hashQuery('#/sign-up?ref=A&x=2').get('x')).toBe('2');
  });
});
