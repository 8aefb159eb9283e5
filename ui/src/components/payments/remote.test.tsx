/**
 * The desktop buying on its team server (issue 18): the Credits page's panel (only on the
 * desktop, only while signed in), Pay (the order made through /api/v1/remote/payments and its
 * absolute page opened in the system browser), the order followed until it settles, and where a
 * refusal's message goes.
 */
import { QueryClientProvider, QueryObserver, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Load } from '../../api/load';
import { keys } from '../../api/queries';
import { makeQueryClient } from '../../api/queryClient';
import { remoteBalanceOptions, watchRemoteOrder, type RemoteBalance, type RemoteOrderUpdate } from '../../api/remotePayments';
import type { GatewayInfo, Order, PaymentPlan } from '../../api/types';
import { openExternal } from '../../lib/openExternal';
import type { OrderSummary } from '../../lib/payments';
import { payOnTeamServer, remotePanelMode, remotePayStep, remoteProblem } from '../../lib/remotePay';
import { ApiError, createFetchTransport, setTransport } from '../../transport';
import { status } from '../connection/fixtures';
import { publishConnection, resetConnectionStore } from '../connection/store';
import { CUSTOM } from './RechargeForm';
import { RemoteCredits, RemoteCreditsPanel, RemoteCreditsPanelView, remoteBuyBody, type RemoteCreditsPanelViewProps } from './RemoteCreditsPanel';
import { RemoteOrderView } from './RemoteOrderDialog';

const openUrl = vi.hoisted(() => vi.fn(async (_url: string) => undefined));
vi.mock('@tauri-apps/plugin-opener', () => ({ openUrl }));

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1]?.trim();

const SERVER = 'https://team.example.com';

const PLANS: PaymentPlan[] = [
  { plan_id: 'credits_100', kind: 'recharge', amount_cents: 1000, currency: 'CNY', credits: 100 },
  { plan_id: 'credits_500', kind: 'recharge', amount_cents: 5000, currency: 'CNY', credits: 500 },
  { plan_id: 'membership_monthly', kind: 'membership', amount_cents: 990, currency: 'CNY', credits: 0 },
  { plan_id: 'membership_yearly', kind: 'membership', amount_cents: 9900, currency: 'CNY', credits: 0 },
];

const GATEWAYS: GatewayInfo[] = [
  { gateway: 'alipay', available: true, sandbox: false },
  { gateway: 'wechat', available: false, sandbox: false },
  { gateway: 'stripe', available: false, sandbox: false },
  { gateway: 'sandbox', available: true, sandbox: true },
];

const BALANCE: RemoteBalance = {
  available: 1234,
  credit_balance: 1300,
  is_member: true,
  membership_type: 'monthly',
  membership_end_date: '2027-01-31T00:00:00Z',
};

const CREATED = {
  order_id: 'ord-1',
  billing_id: 'ord-1',
  amount: '10.00',
  amount_cents: 1000,
  currency: 'CNY',
  credits: 100,
  payment_method: 'alipay',
  payment_url: `${SERVER}/pay/alipay/ord-1`,
  status: 'pending',
  expires_at: '2026-12-07T01:00:00Z',
};

function order(over: Partial<Order> = {}): Order {
  return {
    id: 'ord-1',
    out_trade_no: 'SL-1',
    owner_id: 'u1',
    user_id: 'u1',
    kind: 'recharge',
    product: 'credits',
    gateway: 'alipay',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    list_amount_cents: 1000,
    discount_cents: 0,
    bonus_credits: 0,
    status: 'pending',
    payment_url: `${SERVER}/pay/alipay/ord-1`,
    created_at: '2026-12-07T00:00:00Z',
    updated_at: '2026-12-07T00:00:00Z',
    expires_at: '2026-12-07T01:00:00Z',
    ...over,
  } as Order;
}

const signedIn = status({ state: 'connected', server_url: SERVER, username: 'alice', checked_at: '2026-12-07T00:00:00Z', message: 'Connected.' });

type Call = { url: string; method: string; body: unknown };
const json = (body: unknown, code = 200) => new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } });
const refusal = (code: number, body: Record<string, unknown>) => json({ retryable: false, ...body }, code);

/** A desktop transport whose fetch answers from `answer` ("METHOD /path" → Response) and records every call. */
function install(answer: (key: string, n: number) => Response | undefined, kind: 'desktop' | 'browser' = 'desktop') {
  const calls: Call[] = [];
  const counts = new Map<string, number>();
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ url, method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined });
    const key = `${method} ${url.replace('app://localhost', '')}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return answer(key, n) ?? refusal(404, { detail: 'no', error_code: 'NOT_FOUND' });
  });
  setTransport(createFetchTransport({ kind, baseUrl: kind === 'desktop' ? 'app://localhost' : '', fetch }));
  return calls;
}

const withQueries = (node: ReactNode, client: QueryClient = makeQueryClient()) => <QueryClientProvider client={client}>{node}</QueryClientProvider>;

function view(over: Partial<RemoteCreditsPanelViewProps> = {}): string {
  const props: RemoteCreditsPanelViewProps = {
    host: 'team.example.com',
    balance: { kind: 'ready', data: BALANCE },
    gateways: { kind: 'ready', data: GATEWAYS },
    plans: PLANS,
    gateway: null,
    onGateway: noop,
    what: 'recharge',
    onWhat: noop,
    picked: 'credits_100',
    onPick: noop,
    customText: '',
    onCustomText: noop,
    couponText: '',
    onCouponText: noop,
    membership: 'monthly',
    onMembership: noop,
    tried: false,
    busy: false,
    problem: null,
    onPay: noop,
    onRetry: noop,
    ...over,
  };
  return renderToStaticMarkup(<RemoteCreditsPanelView {...props} />);
}

beforeEach(() => {
  openUrl.mockClear();
});

afterEach(() => {
  setTransport(undefined);
  resetConnectionStore();
  vi.useRealTimers();
});

describe('when the team-server panel shows', () => {
  it('only on the desktop, and only while connected; a hint while signed out', () => {
    expect(remotePanelMode('browser', signedIn)).toBe('hidden');
    expect(remotePanelMode('desktop', null)).toBe('hidden');
    expect(remotePanelMode('desktop', signedIn)).toBe('linked');
    expect(remotePanelMode('desktop', status())).toBe('not-linked');
    expect(remotePanelMode('desktop', { ...signedIn, state: 'session_expired' })).toBe('not-linked');
    expect(remotePanelMode('desktop', { ...signedIn, state: 'unreachable' })).toBe('hidden');
  });

  it('renders nothing in the browser, the hint when the desktop is signed out, the panel when connected', () => {
    install(() => undefined, 'browser');
    publishConnection(signedIn);
    expect(renderToStaticMarkup(withQueries(<RemoteCredits onOrder={noop} />))).toBe('');

    install(() => undefined);
    publishConnection(status());
    const hint = renderToStaticMarkup(withQueries(<RemoteCredits onOrder={noop} />));
    expect(has(hint, 'remote-not-linked')).toBe(true);
    expect(hint).toContain('href="#/connection"');
    expect(has(hint, 'remote-credits-panel')).toBe(false);

    publishConnection({ ...signedIn, state: 'unreachable' });
    expect(renderToStaticMarkup(withQueries(<RemoteCredits onOrder={noop} />))).toBe('');

    publishConnection(signedIn);
    const linked = renderToStaticMarkup(withQueries(<RemoteCredits onOrder={noop} />));
    expect(has(linked, 'remote-credits-panel')).toBe(true);
    expect(has(linked, 'remote-not-linked')).toBe(false);
  });

  it('shows the server balance with the membership, and the gateways and plans read from the cache', () => {
    install(() => undefined);
    const client = makeQueryClient();
    client.setQueryData(keys.remote.credits, BALANCE);
    client.setQueryData(keys.remote.gateways, GATEWAYS);
    client.setQueryData(keys.payments.plans, PLANS);
    const html = renderToStaticMarkup(withQueries(<RemoteCreditsPanel host="team.example.com" onOrder={noop} />, client));
    expect(textOf(html, 'remote-credits-available')).toBe('1,234');
    expect(textOf(html, 'remote-credits-membership')).toMatch(/^Monthly until /);
    expect(html).toContain('team.example.com');
    expect(has(html, 'gateway-alipay')).toBe(true);
    expect(has(html, 'gateway-sandbox')).toBe(true);
    expect(has(html, 'gateway-wechat')).toBe(false);
    expect(has(html, 'pack-credits_100')).toBe(true);
    expect(has(html, 'recharge-coupon-code')).toBe(true);
    expect(has(html, 'remote-buy-pay')).toBe(true);
    expect(has(html, 'recharge-pay')).toBe(false);
    expect(has(html, 'remote-buy-membership')).toBe(true);
  });

  it('a non-member, the membership form, and no gateway said plainly', () => {
    const plain = view({ balance: { kind: 'ready', data: { ...BALANCE, is_member: false, membership_type: null, membership_end_date: null } } });
    expect(textOf(plain, 'remote-credits-membership')).toBe('Not a member');
    const membership = view({ what: 'membership' });
    expect(has(membership, 'membership-form')).toBe(true);
    expect(membership).toMatch(/data-testid="remote-buy-pay">Pay ¥9.90</);
    const none = view({ gateways: { kind: 'ready', data: GATEWAYS.map((g) => ({ ...g, available: false })) } });
    expect(has(none, 'remote-no-gateway')).toBe(true);
    expect(has(none, 'remote-buy-pay')).toBe(false);
  });
});

describe('Pay', () => {
  it('sends the chosen recharge or membership as the team server takes it', () => {
    const base = { what: 'recharge' as const, picked: 'credits_500', customText: '', couponText: '', membership: 'monthly' as const, packs: PLANS };
    expect(remoteBuyBody(base, 'alipay')).toEqual({ kind: 'recharge', amount_cents: 5000, payment_method: 'alipay' });
    expect(remoteBuyBody({ ...base, picked: CUSTOM, customText: '9.90', couponText: ' WELCOME ' }, 'sandbox')).toEqual({
      kind: 'recharge',
      amount_cents: 990,
      payment_method: 'sandbox',
      coupon_code: 'WELCOME',
    });
    expect(remoteBuyBody({ ...base, picked: CUSTOM, customText: '0.5' }, 'alipay')).toBeNull();
    expect(remoteBuyBody({ ...base, what: 'membership', membership: 'yearly' }, 'stripe')).toEqual({
      kind: 'membership',
      membership_type: 'yearly',
      payment_method: 'stripe',
    });
  });

  it('POSTs /api/v1/remote/payments, then opens the absolute payment page in the system browser', async () => {
    const calls = install((key) => (key === 'POST /api/v1/remote/payments' ? json(CREATED, 201) : undefined));
    const open = vi.fn(async (_url: string) => undefined);
    const made = await payOnTeamServer({ kind: 'recharge', amount_cents: 1000, payment_method: 'alipay', coupon_code: 'WELCOME' }, open);
    expect(calls).toEqual([
      {
        url: 'app://localhost/api/v1/remote/payments',
        method: 'POST',
        body: { kind: 'recharge', amount_cents: 1000, payment_method: 'alipay', coupon_code: 'WELCOME' },
      },
    ]);
    expect(open).toHaveBeenCalledExactlyOnceWith(`${SERVER}/pay/alipay/ord-1`);
    expect(made).toMatchObject({ id: 'ord-1', kind: 'recharge', product: 'credits', status: 'pending', payment_url: `${SERVER}/pay/alipay/ord-1` });
  });

  it('a membership is made the same way (202), named by its type', async () => {
    const calls = install((key) => (key === 'POST /api/v1/remote/payments' ? json({ ...CREATED, credits: 0, amount_cents: 990 }, 202) : undefined));
    const open = vi.fn(async (_url: string) => undefined);
    const made = await payOnTeamServer({ kind: 'membership', membership_type: 'monthly', payment_method: 'alipay' }, open);
    expect(calls[0]!.body).toEqual({ kind: 'membership', membership_type: 'monthly', payment_method: 'alipay' });
    expect(made).toMatchObject({ kind: 'membership', product: 'monthly' });
    expect(open).toHaveBeenCalledOnce();
  });

  it('a refused order opens nothing and keeps the server error (field, status)', async () => {
    install((key) =>
      key === 'POST /api/v1/remote/payments' ? refusal(422, { detail: 'coupon WELCOME has expired', error_code: 'VALIDATION_ERROR', field: 'coupon_code' }) : undefined,
    );
    const open = vi.fn(async (_url: string) => undefined);
    const failure = await payOnTeamServer({ kind: 'recharge', amount_cents: 1000, payment_method: 'alipay', coupon_code: 'WELCOME' }, open).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(remoteProblem(failure)).toEqual({ field: 'coupon_code', message: 'coupon WELCOME has expired', signIn: false });
    expect(open).not.toHaveBeenCalled();
  });

  it('WeChat Pay’s code is shown, not opened; a web page is opened', () => {
    expect(remotePayStep({ gateway: 'wechat', payment_url: 'weixin://wxpay/bizpayurl?pr=abc' })).toEqual({ kind: 'qr', code: 'weixin://wxpay/bizpayurl?pr=abc' });
    expect(remotePayStep({ gateway: 'sandbox', payment_url: `${SERVER}/#/pay/sandbox/ord-1` })).toEqual({ kind: 'open', url: `${SERVER}/#/pay/sandbox/ord-1` });
    expect(remotePayStep({ gateway: 'alipay', payment_url: 'javascript:alert(1)' })).toEqual({ kind: 'none' });
    expect(remotePayStep({ gateway: 'stripe', payment_url: null })).toEqual({ kind: 'none' });
  });
});

describe('openExternal', () => {
  it('uses the opener plugin on the desktop and a new noopener tab elsewhere', async () => {
    const win = { open: vi.fn() };
    install(() => undefined);
    await openExternal(`${SERVER}/pay/1`, win);
    expect(openUrl).toHaveBeenCalledExactlyOnceWith(`${SERVER}/pay/1`);
    expect(win.open).not.toHaveBeenCalled();

    install(() => undefined, 'browser');
    await openExternal(`${SERVER}/pay/2`, win);
    expect(win.open).toHaveBeenCalledExactlyOnceWith(`${SERVER}/pay/2`, '_blank', 'noopener');
    expect(openUrl).toHaveBeenCalledOnce();
  });
});

describe('following the order', () => {
  it('polls every 2 s while pending, stops once paid and reads the team balance again', async () => {
    vi.useFakeTimers();
    const calls = install((key, n) => {
      if (key === 'GET /api/v1/remote/payments/ord-1') return json(order({ status: n < 3 ? 'pending' : 'paid' }));
      if (key === 'GET /api/v1/remote/credits') return json(n === 1 ? BALANCE : { ...BALANCE, available: 2234 });
      return undefined;
    });
    const client = makeQueryClient();
    // The panel's balance is on screen (an active read), as it is while the dialog is open.
    const balance = new QueryObserver(client, remoteBalanceOptions());
    const stopBalance = balance.subscribe(noop);
    const seen: RemoteOrderUpdate[] = [];
    const stop = watchRemoteOrder(client, 'ord-1', (u) => seen.push(u));
    const orderReads = () => calls.filter((c) => c.url.endsWith('/remote/payments/ord-1')).length;
    const balanceReads = () => calls.filter((c) => c.url.endsWith('/remote/credits')).length;

    await vi.advanceTimersByTimeAsync(10);
    expect(orderReads()).toBe(1);
    expect(balanceReads()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(orderReads()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(orderReads()).toBe(3);
    expect(seen.at(-1)?.order?.status).toBe('paid');
    expect(balanceReads()).toBe(2);
    expect(client.getQueryData<RemoteBalance>(keys.remote.credits)?.available).toBe(2234);
    // Settled: no more reads.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(orderReads()).toBe(3);
    expect(balanceReads()).toBe(2);
    expect(calls.every((c) => c.method === 'GET' && c.url.startsWith('app://localhost/api/v1/remote/'))).toBe(true);
    stop();
    stopBalance();
  });

  it('an expired order stops the polling too', async () => {
    vi.useFakeTimers();
    const calls = install((key) => (key === 'GET /api/v1/remote/payments/ord-1' ? json(order({ status: 'expired' })) : undefined));
    const seen: RemoteOrderUpdate[] = [];
    const stop = watchRemoteOrder(makeQueryClient(), 'ord-1', (u) => seen.push(u));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.filter((c) => c.url.endsWith('/ord-1'))).toHaveLength(1);
    expect(seen.at(-1)?.order?.status).toBe('expired');
    stop();
  });
  it('a failed first read is told and stops; a passing failure later does not', async () => {
    vi.useFakeTimers();
    install((key) => (key === 'GET /api/v1/remote/payments/ord-1' ? refusal(502, { detail: 'HTTP 503', error_code: 'UPSTREAM_ERROR' }) : undefined));
    const seen: RemoteOrderUpdate[] = [];
    const stop = watchRemoteOrder(makeQueryClient(), 'ord-1', (u) => seen.push(u));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(1);
    expect(remoteProblem(seen[0]!.error).message).toBe('The team server could not be reached. Check the connection and try again.');
    stop();

    const calls = install((key, n) => {
      if (key !== 'GET /api/v1/remote/payments/ord-1') return undefined;
      if (n === 2) return refusal(502, { detail: 'HTTP 503', error_code: 'UPSTREAM_ERROR' });
      return json(order({ status: n < 4 ? 'pending' : 'paid' }));
    });
    const again: RemoteOrderUpdate[] = [];
    const stop2 = watchRemoteOrder(makeQueryClient(), 'ord-1', (u) => again.push(u));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(4);
    expect(again[1]!.error).toBeInstanceOf(ApiError);
    expect(again[1]!.order?.status).toBe('pending');
    expect(again.at(-1)).toMatchObject({ error: null, order: { status: 'paid' } });
    stop2();
  });
});

describe('the order dialog', () => {
  const summary = (over: Partial<OrderSummary> = {}): OrderSummary => ({
    id: 'ord-1',
    kind: 'recharge',
    product: 'credits',
    gateway: 'alipay',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    status: 'pending',
    payment_url: `${SERVER}/pay/alipay/ord-1`,
    expires_at: '2026-12-07T01:00:00Z',
    ...over,
  });
  const render = (o: OrderSummary, readError: string | null = null) =>
    renderToStaticMarkup(<RemoteOrderView order={o} readError={readError} onRetryRead={noop} onOpenAgain={noop} onClose={noop} />);

  it('waits for the payment in the browser and offers the page again', () => {
    const html = render(summary());
    expect(html).toContain('data-testid="remote-order-dialog" data-status="pending"');
    expect(html).toContain('Waiting for payment in your browser…');
    expect(textOf(html, 'remote-order-open-again')).toBe('Open the payment page again');
    // Not the web's own links: the page opens in the system browser.
    expect(has(html, 'open-payment-page')).toBe(false);
    expect(has(html, 'open-sandbox-page')).toBe(false);
  });

  it('says when it is paid (the team balance read again), expired or failed', () => {
    const paid = render(summary({ status: 'paid' }));
    expect(paid).toContain('data-status="paid"');
    expect(has(paid, 'order-paid')).toBe(true);
    expect(textOf(paid, 'remote-order-balance-updated')).toBe('Your balance on the team server has been updated.');
    expect(has(paid, 'remote-order-open-again')).toBe(false);
    for (const s of ['expired', 'failed'] as const) {
      const html = render(summary({ status: s }));
      expect(html).toContain(`data-status="${s}"`);
      expect(has(html, 'order-ended')).toBe(true);
      expect(has(html, 'remote-order-balance-updated')).toBe(false);
    }
  });

  it('WeChat Pay shows its code to scan', () => {
    const html = render(summary({ gateway: 'wechat', payment_url: 'weixin://wxpay/bizpayurl?pr=abc' }));
    expect(html).toContain('data-step="qr"');
    expect(has(html, 'remote-order-open-again')).toBe(false);
  });
});

describe('refusals', () => {
  const err = (code: number, body: Record<string, unknown>) => new ApiError(code, { retryable: false, detail: '', error_code: 'VALIDATION_ERROR', ...body } as never);

  it('map to their field, to "sign in first", or to "unreachable"', () => {
    expect(remoteProblem(err(422, { detail: 'bad coupon', field: 'coupon_code' }))).toEqual({ field: 'coupon_code', message: 'bad coupon', signIn: false });
    expect(remoteProblem(err(422, { detail: 'sandbox is off', field: 'payment_method' }))).toMatchObject({ field: 'payment_method' });
    expect(remoteProblem(err(422, { detail: 'too small', field: 'amount' }))).toMatchObject({ field: 'amount_cents' });
    expect(remoteProblem(err(422, { detail: 'not signed in to a team server', field: 'server_url' }))).toEqual({
      field: null,
      message: 'Sign in to a team server first.',
      signIn: true,
    });
    expect(remoteProblem(err(502, { detail: 'cannot reach', error_code: 'UPSTREAM_ERROR' }))).toEqual({
      field: null,
      message: 'The team server could not be reached. Check the connection and try again.',
      signIn: false,
    });
  });

  it('land on their field in the panel', () => {
    const coupon = view({ picked: CUSTOM, customText: '25', problem: { field: 'coupon_code', message: 'coupon WELCOME has expired', signIn: false } });
    expect(textOf(coupon, 'recharge-coupon-error')).toBe('coupon WELCOME has expired');
    expect(coupon).toMatch(/id="recharge-coupon-code"[^>]*aria-invalid="true"/);
    expect(has(coupon, 'remote-buy-error')).toBe(false);

    const gateway = view({ problem: { field: 'payment_method', message: 'the sandbox is off', signIn: false } });
    expect(textOf(gateway, 'gateway-error')).toBe('the sandbox is off');
    expect(has(gateway, 'remote-buy-error')).toBe(false);

    const amount = view({ picked: CUSTOM, customText: '25', problem: { field: 'amount_cents', message: 'amount too large', signIn: false } });
    expect(textOf(amount, 'recharge-amount-error')).toBe('amount too large');
    // A pack's amount refused: above Pay, there is no amount field.
    const packAmount = view({ problem: { field: 'amount_cents', message: 'amount too large', signIn: false } });
    expect(textOf(packAmount, 'remote-buy-error')).toBe('amount too large');
  });

  it('502 and "not signed in" show above Pay, the latter with the Connection link', () => {
    const unreachable = view({ problem: remoteProblem(err(502, { error_code: 'UPSTREAM_ERROR' })) });
    expect(textOf(unreachable, 'remote-buy-error')).toBe('The team server could not be reached. Check the connection and try again.');
    expect(has(unreachable, 'remote-sign-in-link')).toBe(false);
    const signedOut = view({ problem: remoteProblem(err(422, { field: 'server_url' })) });
    expect(textOf(signedOut, 'remote-buy-error')).toBe('Sign in to a team server first.');
    expect(signedOut).toMatch(/href="#\/connection" data-testid="remote-sign-in-link"/);
  });

  it('a failed read of the balance says why, with Try again', () => {
    const e = err(502, { error_code: 'UPSTREAM_ERROR', detail: 'HTTP 503' });
    const balance: Load<RemoteBalance> = { kind: 'error', message: 'HTTP 503', error: e };
    const html = view({ balance });
    expect(textOf(html, 'remote-credits-error-message')).toBe('The team server could not be reached. Check the connection and try again.');
    expect(has(html, 'remote-credits-available')).toBe(false);
  });
});
