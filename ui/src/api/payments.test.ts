import { environmentManager, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import {
  createMembershipOrder,
  createRecharge,
  enableSandbox,
  getOrder,
  listGateways,
  listOrders,
  listPlans,
  ORDER_POLL_MS,
  orderPollInterval,
  orderStatusOptions,
  refreshAfterPayment,
  settleSandboxOrder,
} from './payments';
import { keys } from './queries';
import { makeQueryClient } from './queryClient';
import type { Order, OrderStatus } from './types';

interface Call {
  method: string;
  url: string;
  body: unknown;
}

/** An error answer (anything else `respond` returns is a 200 JSON body). */
class Refusal {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Answers each request with `respond(call)`: a body (200 JSON) or a Refusal. */
function install(respond: (call: Call) => unknown) {
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
  vi.useRealTimers();
});

function order(status: OrderStatus, over: Partial<Order> = {}): Order {
  return {
    coupon_id: null,
    list_amount_cents: 1000,
    discount_cents: 0,
    bonus_credits: 0,
    id: 'o-1',
    out_trade_no: 'o1',
    owner_id: 'u1',
    user_id: 'u1',
    kind: 'recharge',
    product: 'credits',
    gateway: 'sandbox',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    status,
    payment_url: '/#/pay/sandbox/o-1',
    created_at: '2026-12-06T21:34:03.171Z',
    updated_at: '2026-12-06T21:34:03.171Z',
    expires_at: '2026-12-06T22:04:03.171Z',
    ...over,
  };
}

const CREATED = {
  order_id: 'o-1',
  billing_id: 'o-1',
  amount: '10.00',
  amount_cents: 1000,
  currency: 'CNY',
  credits: 100,
  payment_method: 'sandbox',
  payment_url: '/#/pay/sandbox/o-1',
  status: 'pending',
  expires_at: '2026-12-06T22:04:03.171Z',
};

describe('payment calls', () => {
  it('read the gateways, the plans and one order', async () => {
    const calls = install((c) => (c.url.endsWith('/gateways') ? [{ gateway: 'sandbox', available: true, sandbox: true }] : c.url.endsWith('/plans') ? [] : order('pending')));
    expect(await listGateways()).toEqual([{ gateway: 'sandbox', available: true, sandbox: true }]);
    await listPlans();
    expect((await getOrder('o/1')).status).toBe('pending');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/v1/payments/gateways',
      'GET /api/v1/payments/plans',
      'GET /api/v1/payments/status/o%2F1',
    ]);
  });

  it('make a recharge in whole cents and a membership order at a gateway', async () => {
    const calls = install(() => CREATED);
    expect(await createRecharge({ amount_cents: 990, payment_method: 'wechat' })).toEqual(CREATED);
    await createMembershipOrder({ membership_type: 'quarterly', payment_method: 'alipay' });
    expect(calls).toEqual([
      { method: 'POST', url: '/api/v1/credit/recharge', body: { amount_cents: 990, payment_method: 'wechat' } },
      { method: 'POST', url: '/api/v1/credit/membership', body: { membership_type: 'quarterly', payment_method: 'alipay' } },
    ]);
  });

  it('list the orders of each kind, a page at a time', async () => {
    const calls = install(() => ({ items: [], total: 0, page: 2, limit: 10, totalPages: 0 }));
    await listOrders('recharge', { page: 2, limit: 10 });
    await listOrders('membership', { page: 1, limit: 20 });
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/credit/recharge/orders?page=2&limit=10', '/api/v1/credit/membership/orders?page=1&limit=20']);
  });

  it("settle a sandbox order with seed 003's body and a fresh payment number", async () => {
    const calls = install(() => ({ result: 'credited', order: order('paid') }));
    const answer = await settleSandboxOrder('o-1', 'success');
    expect(answer.result).toBe('credited');
    await settleSandboxOrder('o-1', 'failed', 'sandbox-fixed');
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/credit/payment/callback', body: { order_id: 'o-1', payment_method: 'sandbox', status: 'success' } });
    expect((calls[0]!.body as { transaction_id: string }).transaction_id).toMatch(/^sandbox-[0-9a-f]{16}$/);
    expect(calls[1]!.body).toEqual({ order_id: 'o-1', payment_method: 'sandbox', transaction_id: 'sandbox-fixed', status: 'failed' });
  });

  it('turn the sandbox on through the admin configuration', async () => {
    const calls = install(() => ({ payment_sandbox: true }));
    await enableSandbox();
    expect(calls).toEqual([{ method: 'PATCH', url: '/api/v1/admin/config', body: { payment_sandbox: true } }]);
  });

  it("pass the server's refusal on as an ApiError with its field", async () => {
    install(() => new Refusal(422, { detail: 'a recharge is ¥1.00 to ¥100000.00 (got ¥0.50)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'amount' }));
    await expect(createRecharge({ amount_cents: 50, payment_method: 'sandbox' })).rejects.toMatchObject({ status: 422, field: 'amount', error_code: 'VALIDATION_ERROR' });
  });
});

describe('the order status query', () => {
  it('polls while the order is pending (or not read yet) and stops once it is settled', () => {
    expect(orderPollInterval(undefined)).toBe(ORDER_POLL_MS);
    expect(orderPollInterval({ status: 'pending' })).toBe(2000);
    for (const s of ['paid', 'expired', 'failed', 'refunded'] as const) expect(orderPollInterval({ status: s })).toBe(false);
  });

  it('re-reads every 2 s until the order is paid, then reads no more', async () => {
    // Node has no window, which the query cache takes for a server, where it schedules no polling.
    environmentManager.setIsServer(() => false);
    vi.useFakeTimers();
    const answers: OrderStatus[] = ['pending', 'pending', 'paid'];
    const calls = install(() => order(answers.shift() ?? 'paid'));
    const qc = makeQueryClient();
    const seen: OrderStatus[] = [];
    const observer = new QueryObserver(qc, orderStatusOptions('o-1'));
    const stop = observer.subscribe((r) => {
      if (r.data && seen.at(-1) !== r.data.status) seen.push(r.data.status);
    });
    try {
      await vi.advanceTimersByTimeAsync(10);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(ORDER_POLL_MS);
      expect(calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(ORDER_POLL_MS);
      expect(calls).toHaveLength(3);
      expect(seen).toEqual(['pending', 'paid']);
      await vi.advanceTimersByTimeAsync(ORDER_POLL_MS * 5);
      expect(calls).toHaveLength(3);
      expect(calls.every((c) => c.url === '/api/v1/payments/status/o-1')).toBe(true);
    } finally {
      stop();
      environmentManager.setIsServer(() => typeof window === 'undefined');
    }
  });

  it('does not poll an order that cannot be read', async () => {
    environmentManager.setIsServer(() => false);
    vi.useFakeTimers();
    const calls = install(() => new Refusal(404, { detail: 'no such order', error_code: 'NOT_FOUND', retryable: false }));
    const qc = makeQueryClient();
    const stop = new QueryObserver(qc, orderStatusOptions('nope')).subscribe(() => undefined);
    try {
      await vi.advanceTimersByTimeAsync(ORDER_POLL_MS * 3);
      expect(calls).toHaveLength(1);
    } finally {
      stop();
      environmentManager.setIsServer(() => typeof window === 'undefined');
    }
  });

  it('after a payment, the balance, the ledger and the order lists are stale', async () => {
    const qc = makeQueryClient();
    qc.setQueryData(keys.credits.dashboard(30), { credits: 0 });
    qc.setQueryData(keys.credits.transactions({ page: 1 }), { items: [] });
    qc.setQueryData(keys.payments.orderList('recharge', { page: 1, limit: 10 }), { items: [] });
    qc.setQueryData(keys.payments.plans, []);
    await refreshAfterPayment(qc);
    const stale = (key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated;
    expect(stale(keys.credits.dashboard(30))).toBe(true);
    expect(stale(keys.credits.transactions({ page: 1 }))).toBe(true);
    expect(stale(keys.payments.orderList('recharge', { page: 1, limit: 10 }))).toBe(true);
    expect(stale(keys.payments.plans)).toBe(false);
  });
});
