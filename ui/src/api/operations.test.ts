import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import { register } from './accounts';
import {
  claimAndRefresh,
  createActivity,
  createCoupon,
  generateReferral,
  getStatistics,
  joinAndRefresh,
  listActivities,
  listAdminOrders,
  listCoupons,
  listMyCoupons,
  listReferralRecords,
} from './operations';
import { createRecharge, settleSandboxOrder } from './payments';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';

interface Call {
  method: string;
  url: string;
  body: unknown;
}

class Refusal {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Answers each request with `respond(call)`: a body (200 JSON) or a Refusal. */
function install(respond: (call: Call) => unknown = () => ({})) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call = { method: init?.method ?? 'GET', url, body: init?.body ? JSON.parse(init.body as string) : undefined };
    calls.push(call);
    const r = respond(call);
    const { status, body } = r instanceof Refusal ? r : { status: 200, body: r };
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch, getToken: () => 'tok' }));
  return calls;
}

afterEach(() => {
  setTransport(undefined);
});

const page = { items: [], total: 0, page: 1, limit: 20, totalPages: 0 };

describe('the operations calls', () => {
  it('read the coupons, the wallet, referrals, activities, orders and statistics at their paths', async () => {
    const calls = install(() => page);
    await listMyCoupons('unused');
    await listMyCoupons(undefined);
    await listCoupons({ status: 'active', page: 2, limit: 10 });
    await listCoupons({ status: 'all', page: 1, limit: 20 });
    await listReferralRecords({ page: 1, limit: 10 });
    await listActivities({ status: 'active', page: 1, limit: 50 });
    await listAdminOrders({ status: 'pending', gateway: 'sandbox', page: 3, limit: 20 });
    await listAdminOrders({ status: undefined, gateway: undefined, page: 1, limit: 20 });
    await getStatistics({ start_date: '2026-11-01', end_date: '2026-11-30' });
    await getStatistics({});
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/operation/my-coupons?status=unused',
      'GET /api/v1/operation/my-coupons',
      'GET /api/v1/operation/coupons?status=active&page=2&limit=10',
      'GET /api/v1/operation/coupons?status=all&page=1&limit=20',
      'GET /api/v1/operation/referral/records?page=1&limit=10',
      'GET /api/v1/operation/activities?status=active&page=1&limit=50',
      'GET /api/v1/admin/payments/orders?status=pending&gateway=sandbox&page=3&limit=20',
      'GET /api/v1/admin/payments/orders?page=1&limit=20',
      'GET /api/v1/operation/statistics?start_date=2026-11-01&end_date=2026-11-30',
      'GET /api/v1/operation/statistics',
    ]);
  });

  it('create a coupon and an activity with the form bodies', async () => {
    const calls = install((c) => c.body);
    const coupon = { code: 'SPRING10', name: 'Spring', type: 'discount' as const, value: 10, max_usage: 100, valid_from: '2026-03-01T00:00:00Z', valid_until: '2026-04-01T00:00:00Z' };
    await createCoupon(coupon);
    const act = { name: 'Gift', type: 'credit_gift' as const, description: '', config: { credits: 100 }, start_time: '2026-03-01T00:00:00Z', end_time: '2026-04-01T00:00:00Z' };
    await createActivity(act);
    expect(calls).toEqual([
      { method: 'POST', url: '/api/v1/operation/coupons', body: coupon },
      { method: 'POST', url: '/api/v1/operation/activities', body: act },
    ]);
  });

  it('generate a referral link', async () => {
    const calls = install(() => ({ referral_code: 'ABC123', referral_url: '/#/sign-up?ref=ABC123' }));
    await expect(generateReferral()).resolves.toEqual({ referral_code: 'ABC123', referral_url: '/#/sign-up?ref=ABC123' });
    expect(calls).toEqual([{ method: 'POST', url: '/api/v1/operation/referral/generate', body: undefined }]);
  });

  it('a recharge carries the coupon code; sign-up carries the referral code', async () => {
    const calls = install(() => ({}));
    await createRecharge({ amount_cents: 1000, payment_method: 'sandbox', coupon_code: 'SPRING10' });
    await register({ username: 'ann', password: 'secret-pass', referral_code: 'ABC123' });
    expect(calls[0]).toEqual({ method: 'POST', url: '/api/v1/credit/recharge', body: { amount_cents: 1000, payment_method: 'sandbox', coupon_code: 'SPRING10' } });
    expect(calls[1]).toEqual({ method: 'POST', url: '/api/v1/auth/register', body: { username: 'ann', password: 'secret-pass', referral_code: 'ABC123' } });
  });

  it("an unknown referral code is the server's 422 naming referral_code", async () => {
    install(() => new Refusal(422, { detail: 'no such referral code', error_code: 'VALIDATION_ERROR', retryable: false, field: 'referral_code' }));
    const err = await register({ username: 'ann', password: 'secret-pass', referral_code: 'NOPE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field).toBe('referral_code');
  });

  it("the admin's Mark paid is the sandbox callback", async () => {
    const calls = install(() => ({ result: 'credited', order: {} }));
    await settleSandboxOrder('o-1', 'success', 'sandbox-1');
    expect(calls).toEqual([
      { method: 'POST', url: '/api/v1/credit/payment/callback', body: { order_id: 'o-1', payment_method: 'sandbox', transaction_id: 'sandbox-1', status: 'success' } },
    ]);
  });
});

describe('claim and join', () => {
  it('Claim posts to the coupon, then the lists and the wallet read afresh', async () => {
    const calls = install(() => ({ id: 'c1', code: 'SPRING10', claim_status: 'unused' }));
    const qc = makeQueryClient();
    qc.setQueryData(keys.operations.myCoupons('unused'), []);
    qc.setQueryData(keys.operations.coupons({ status: 'active', page: 1, limit: 10 }), page);
    qc.setQueryData(keys.operations.activities({ status: 'active', page: 1, limit: 50 }), page);
    await claimAndRefresh(qc, 'c1 /x');
    expect(calls).toEqual([{ method: 'POST', url: '/api/v1/operation/coupons/c1%20%2Fx/claim', body: undefined }]);
    const stale = (key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated;
    expect(stale(keys.operations.myCoupons('unused'))).toBe(true);
    expect(stale(keys.operations.coupons({ status: 'active', page: 1, limit: 10 }))).toBe(true);
    expect(stale(keys.operations.activities({ status: 'active', page: 1, limit: 50 }))).toBe(false);
  });

  it('a used-up coupon is a 409 with its message', async () => {
    install(() => new Refusal(409, { detail: 'this coupon is used up', error_code: 'CONFLICT', retryable: false }));
    const err = await claimAndRefresh(makeQueryClient(), 'c1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).detail).toBe('this coupon is used up');
  });

  it('Join posts to the activity, then the activities and the balance read afresh', async () => {
    const calls = install(() => ({ activity_id: 'a1', credits_granted: 100, message: 'ok' }));
    const qc = makeQueryClient();
    qc.setQueryData(keys.operations.activities({ status: 'active', page: 1, limit: 50 }), page);
    qc.setQueryData(keys.credits.dashboard(30), {});
    qc.setQueryData(keys.operations.myCoupons('unused'), []);
    await expect(joinAndRefresh(qc, 'a1')).resolves.toEqual({ activity_id: 'a1', credits_granted: 100, message: 'ok' });
    expect(calls).toEqual([{ method: 'POST', url: '/api/v1/operation/activities/a1/participate', body: undefined }]);
    const stale = (key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated;
    expect(stale(keys.operations.activities({ status: 'active', page: 1, limit: 50 }))).toBe(true);
    expect(stale(keys.credits.dashboard(30))).toBe(true);
    expect(stale(keys.operations.myCoupons('unused'))).toBe(false);
  });

  it('an ended activity is a 422 naming activity', async () => {
    install(() => new Refusal(422, { detail: 'the activity has ended', error_code: 'VALIDATION_ERROR', retryable: false, field: 'activity' }));
    const err = await joinAndRefresh(makeQueryClient(), 'a1').catch((e: unknown) => e);
    expect((err as ApiError).field).toBe('activity');
  });
});
