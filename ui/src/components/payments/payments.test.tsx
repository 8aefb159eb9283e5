import { QueryClientProvider } from '@tanstack/react-query';
import { create } from 'qrcode';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Load } from '../../api/load';
import { makeQueryClient } from '../../api/queryClient';
import type { GatewayInfo, Order, OrderStatus, PaymentPlan } from '../../api/types';
import { i18n } from '../../i18n';
import { rechargeAmount, type OrderSummary } from '../../lib/payments';
import { BuyPanelView, type BuyPanelViewProps } from './BuyPanel';
import { OrderStatusView } from './OrderDialog';
import { OrderTable } from './OrderHistory';
import { qrPath } from './QrCode';
import { CUSTOM, RechargeFormView, type RechargeFormProps } from './RechargeForm';
import { SandboxOrderView, type SandboxOrderViewProps } from './SandboxPayPage';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
/** The text of the element with a test id (its first text run). */
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];

/** The forms inside the panel read the query client (to refresh the order lists). */
const withQueries = (node: ReactNode) => <QueryClientProvider client={makeQueryClient()}>{node}</QueryClientProvider>;

afterEach(async () => {
  await i18n.changeLanguage('en');
});

const PLANS: PaymentPlan[] = [
  { plan_id: 'credits_100', kind: 'recharge', amount_cents: 1000, currency: 'CNY', credits: 100 },
  { plan_id: 'credits_500', kind: 'recharge', amount_cents: 5000, currency: 'CNY', credits: 500 },
  { plan_id: 'credits_1000', kind: 'recharge', amount_cents: 10000, currency: 'CNY', credits: 1000 },
  { plan_id: 'membership_monthly', kind: 'membership', amount_cents: 990, currency: 'CNY', credits: 0 },
  { plan_id: 'membership_quarterly', kind: 'membership', amount_cents: 2500, currency: 'CNY', credits: 0 },
  { plan_id: 'membership_yearly', kind: 'membership', amount_cents: 9900, currency: 'CNY', credits: 0 },
];

const gateways = (available: GatewayInfo['gateway'][]): Load<GatewayInfo[]> => ({
  kind: 'ready',
  data: (['alipay', 'wechat', 'stripe', 'sandbox'] as const).map((g) => ({ gateway: g, available: available.includes(g), sandbox: g === 'sandbox' })),
});

function panel(over: Partial<BuyPanelViewProps> = {}): string {
  const props: BuyPanelViewProps = {
    gateways: gateways(['sandbox']),
    plans: { kind: 'ready', data: PLANS },
    isAdmin: false,
    gateway: null,
    onGateway: noop,
    enabling: false,
    enableError: null,
    onEnableSandbox: noop,
    onRetry: noop,
    onOrder: noop,
    ...over,
  };
  return renderToStaticMarkup(withQueries(<BuyPanelView {...props} />));
}

describe('the buy panel', () => {
  it('offers only the gateways that take payments, the sandbox marked as moving no money', () => {
    const html = panel({ gateways: gateways(['alipay', 'sandbox']) });
    expect(has(html, 'gateway-alipay')).toBe(true);
    expect(has(html, 'gateway-sandbox')).toBe(true);
    expect(has(html, 'gateway-wechat')).toBe(false);
    expect(has(html, 'gateway-stripe')).toBe(false);
    expect(html).toContain('Sandbox — no money moves');
    // Alipay comes first and is picked: no sandbox banner until the sandbox is picked.
    expect(html).toContain('<input type="radio" name="pay-gateway" checked="" value="alipay"/>');
    expect(has(html, 'sandbox-banner')).toBe(false);
    expect(has(panel({ gateways: gateways(['alipay', 'sandbox']), gateway: 'sandbox' }), 'sandbox-banner')).toBe(true);
  });

  it('shows the packs with what they buy, and the memberships at their prices', () => {
    const html = panel();
    expect(html).toContain('Sandbox: no money moves.');
    for (const [id, price, credits] of [
      ['credits_100', '¥10.00', '100 credits'],
      ['credits_500', '¥50.00', '500 credits'],
      ['credits_1000', '¥100.00', '1,000 credits'],
    ]) {
      expect(html).toMatch(new RegExp(`data-testid="pack-${id}"><input[^>]*/><span class="choice-label">${price.replace('.', '\\.')}</span><span class="choice-hint">${credits}</span>`));
    }
    expect(textOf(html, 'recharge-credits')).toBe('You get 100 credits');
    expect(textOf(html, 'recharge-pay')).toBe('Pay ¥10.00');
    for (const [type, label, price] of [
      ['monthly', 'Monthly', '¥9.90'],
      ['quarterly', 'Quarterly', '¥25.00'],
      ['yearly', 'Yearly', '¥99.00'],
    ]) {
      expect(html).toMatch(new RegExp(`data-testid="membership-${type}"><input[^>]*/><span class="choice-label">${label}</span><span class="choice-hint">${price.replace('.', '\\.')}</span>`));
    }
    expect(textOf(html, 'membership-pay')).toBe('Pay ¥9.90');
  });

  it('says plainly when no gateway takes payments, and shows an admin how to turn the sandbox on', () => {
    const member = panel({ gateways: gateways([]) });
    expect(has(member, 'no-gateway')).toBe(true);
    expect(member).toContain('This server takes no payments yet');
    expect(member).toContain('Ask an administrator');
    expect(has(member, 'enable-sandbox')).toBe(false);
    expect(has(member, 'recharge-form')).toBe(false);

    const admin = panel({ gateways: gateways([]), isAdmin: true });
    expect(textOf(admin, 'enable-sandbox')).toBe('Turn on the sandbox');
    expect(admin).toContain('turn on the sandbox to try purchases without moving any money');
    expect(panel({ gateways: gateways([]), isAdmin: true, enabling: true })).toMatch(/data-testid="enable-sandbox">Turning on…/);
    expect(textOf(panel({ gateways: gateways([]), isAdmin: true, enableError: 'Forbidden' }), 'enable-sandbox-error')).toBe('Forbidden');
  });

  it('shows a failed read with Try again', () => {
    const html = panel({ gateways: { kind: 'error', message: 'Cannot reach the Storyloom server' } });
    expect(has(html, 'buy-error')).toBe(true);
    expect(html).toContain('Cannot reach the Storyloom server');
    expect(has(html, 'recharge-form')).toBe(false);
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = panel();
    expect(html).toContain('沙盒 — 不产生真实付款');
    expect(textOf(html, 'recharge-credits')).toBe('可获得 100 积分');
    expect(textOf(html, 'recharge-pay')).toBe('支付 ¥10.00');
  });
});

function recharge(over: Partial<RechargeFormProps> & { customText?: string } = {}): string {
  const customText = over.customText ?? '';
  const picked = over.picked ?? CUSTOM;
  const pack = PLANS.find((p) => p.plan_id === picked);
  const props: RechargeFormProps = {
    packs: PLANS.filter((p) => p.kind === 'recharge'),
    picked,
    customText,
    amount: rechargeAmount(pack ? { kind: 'pack', plan: pack } : { kind: 'custom', text: customText }),
    showProblem: customText !== '',
    busy: false,
    amountError: null,
    formError: null,
    onPick: noop,
    onCustomText: noop,
    onSubmit: noop,
    ...over,
  };
  return renderToStaticMarkup(<RechargeFormView {...props} />);
}

describe('another amount', () => {
  it('shows the credits it buys before paying', () => {
    const html = recharge({ customText: '9.9' });
    expect(has(html, 'recharge-amount')).toBe(true);
    expect(html).toMatch(/data-testid="recharge-credits" data-credits="99">You get 99 credits/);
    expect(textOf(html, 'recharge-pay')).toBe('Pay ¥9.90');
    expect(has(html, 'recharge-amount-error')).toBe(false);
  });

  it('says what is wrong with the amount, next to it', () => {
    expect(textOf(recharge({ customText: '10.001' }), 'recharge-amount-error')).toBe('Use at most two decimals (fen)');
    expect(textOf(recharge({ customText: 'abc' }), 'recharge-amount-error')).toBe('Enter an amount like 10 or 9.90');
    expect(textOf(recharge({ customText: '0.5' }), 'recharge-amount-error')).toBe('Enter an amount from ¥1 to ¥100,000');
    expect(textOf(recharge({ customText: '100000.01' }), 'recharge-amount-error')).toBe('Enter an amount from ¥1 to ¥100,000');
    expect(recharge({ customText: 'abc' })).toMatch(/aria-invalid="true" aria-describedby="recharge-amount-error"/);
    // Nothing typed yet: no complaint until Pay is pressed.
    expect(has(recharge(), 'recharge-amount-error')).toBe(false);
    expect(textOf(recharge({ showProblem: true }), 'recharge-amount-error')).toBe('Enter an amount in yuan');
    expect(textOf(recharge({ customText: 'abc' }), 'recharge-credits')).toBe('Enter an amount to see the credits it buys');
  });

  it("shows the server's refusal under the amount, other refusals above Pay", () => {
    expect(textOf(recharge({ customText: '10', amountError: 'a recharge is ¥1.00 to ¥100000.00' }), 'recharge-amount-error')).toBe('a recharge is ¥1.00 to ¥100000.00');
    expect(textOf(recharge({ picked: 'credits_100', formError: 'This way to pay is not available' }), 'recharge-error')).toBe('This way to pay is not available');
    expect(recharge({ picked: 'credits_100', busy: true })).toMatch(/disabled="" data-testid="recharge-pay">Creating the order…/);
  });
});

function summary(status: OrderStatus, over: Partial<OrderSummary> = {}): OrderSummary {
  return {
    id: 'o-1',
    kind: 'recharge',
    product: 'credits',
    gateway: 'sandbox',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    status,
    payment_url: '/#/pay/sandbox/o-1',
    expires_at: '2026-12-06T22:04:03.171Z',
    ...over,
  };
}

const orderView = (order: OrderSummary, readError: string | null = null) =>
  renderToStaticMarkup(<OrderStatusView order={order} readError={readError} onRetryRead={noop} onRestart={noop} onClose={noop} />);

describe('the order dialog', () => {
  it('WeChat Pay: the weixin:// code as a QR code', () => {
    const html = orderView(summary('pending', { gateway: 'wechat', payment_url: 'weixin://wxpay/bizpayurl?pr=abc' }));
    expect(html).toMatch(/data-step="qr"/);
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-label="WeChat Pay QR code"/);
    expect(html).toContain('data-code="weixin://wxpay/bizpayurl?pr=abc"');
    expect(html).toMatch(/<path d="M\d/);
    expect(html).toContain('Scan the code with WeChat');
  });

  it("Alipay and Stripe: the gateway's page in a new window", () => {
    const html = orderView(summary('pending', { gateway: 'alipay', payment_url: 'https://openapi.alipay.com/gateway.do?a=1&b=2' }));
    expect(html).toMatch(/<a class="button primary" href="https:\/\/openapi\.alipay\.com\/gateway\.do\?a=1&amp;b=2" target="_blank" rel="noopener noreferrer" data-testid="open-payment-page">Open the payment page<\/a>/);
    expect(has(orderView(summary('pending', { gateway: 'stripe', payment_url: 'https://checkout.stripe.com/c/pay/cs_1' })), 'open-payment-page')).toBe(true);
    const script = orderView(summary('pending', { gateway: 'stripe', payment_url: 'javascript:alert(1)' }));
    expect(script).not.toContain('javascript:');
    expect(script).toMatch(/data-step="none"/);
  });

  it("the sandbox: its page in this UI, and that no money moves", () => {
    const html = orderView(summary('pending'));
    expect(html).toMatch(/href="#\/pay\/sandbox\/o-1" data-testid="open-sandbox-page">Open the sandbox payment page/);
    expect(has(html, 'order-sandbox-banner')).toBe(true);
    expect(html).toMatch(/data-testid="order-status" data-status="pending">.*Waiting for payment/);
    expect(html).toContain('Waiting for the payment (the order expires at');
    expect(html).toMatch(/data-testid="order-item">100 credits/);
    expect(textOf(html, 'order-amount')).toBe('¥10.00');
  });

  it('paid: says what was added, and nothing more to pay', () => {
    const html = orderView(summary('paid'));
    expect(textOf(html, 'order-paid')).toBe('Paid: 100 credits were added to your balance.');
    expect(has(html, 'pay-instructions')).toBe(false);
    expect(textOf(html, 'order-close')).toBe('Done');
    const membership = orderView(summary('paid', { kind: 'membership', product: 'yearly', credits: 0, amount_cents: 9900 }));
    expect(membership).toMatch(/data-testid="order-item">Yearly membership/);
    expect(textOf(membership, 'order-paid')).toBe('Paid: your membership is active.');
  });

  it('expired or failed: said plainly, with a way to start again', () => {
    const expired = orderView(summary('expired'));
    expect(textOf(expired, 'order-ended')).toBe('This order expired before it was paid. Nothing was charged.');
    expect(textOf(expired, 'order-restart')).toBe('Start again');
    expect(has(expired, 'pay-instructions')).toBe(false);
    const failed = orderView(summary('failed'));
    expect(textOf(failed, 'order-ended')).toMatch(/did not go through/);
    expect(has(failed, 'order-restart')).toBe(true);
  });

  it('a failed read says so, with Try again', () => {
    expect(orderView(summary('pending'), 'Cannot reach the Storyloom server')).toContain("Couldn’t check the order: Cannot reach the Storyloom server");
  });
});

describe('the QR code', () => {
  it('draws the dark modules inside a quiet zone', () => {
    const text = 'weixin://wxpay/bizpayurl?pr=abc';
    const { width, d } = qrPath(text);
    expect(width).toBe(create(text, { errorCorrectionLevel: 'M' }).modules.size + 8); // 4 modules on each side
    expect(d.startsWith('M4 4h1v1h-1z')).toBe(true); // the finder pattern's corner
  });
});

function order(id: string, status: OrderStatus, over: Partial<Order> = {}): Order {
  return {
    coupon_id: null,
    list_amount_cents: 1000,
    discount_cents: 0,
    bonus_credits: 0,
    id,
    out_trade_no: id.replace(/-/g, ''),
    owner_id: 'u1',
    user_id: 'u1',
    kind: 'recharge',
    product: 'credits',
    gateway: 'sandbox',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    status,
    payment_url: `/#/pay/sandbox/${id}`,
    created_at: '2026-12-06T21:34:03.171Z',
    updated_at: '2026-12-06T21:34:03.171Z',
    expires_at: '2026-12-06T22:04:03.171Z',
    paid_at: status === 'paid' ? '2026-12-06T21:35:00.000Z' : null,
    ...over,
  };
}

describe('the order history', () => {
  it('lists orders with their status, and Pay for one still waiting', () => {
    const html = renderToStaticMarkup(
      <OrderTable
        orders={{ items: [order('o-2', 'pending', { gateway: 'wechat' }), order('o-1', 'paid', { amount_cents: 990, credits: 99 })], total: 2, page: 1, limit: 10, totalPages: 1 }}
        onOpen={noop}
        onPage={noop}
      />,
    );
    expect(html.match(/data-testid="order-row"/g)).toHaveLength(2);
    expect(html).toMatch(/data-order="o-2" data-kind="recharge" data-status="pending">.*WeChat Pay.*Waiting for payment.*data-testid="order-continue">Pay</);
    expect(html).toMatch(/data-order="o-1" data-kind="recharge" data-status="paid">.*99 credits.*¥9\.90.*Sandbox.*title="Paid at [^"]+".*>Paid</);
    expect(html.match(/order-continue/g)).toHaveLength(1);
    expect(has(html, 'pagination')).toBe(false);
  });

  it('pages with the shared pagination', () => {
    const items = Array.from({ length: 10 }, (_, i) => order(`o-${i}`, 'expired'));
    const html = renderToStaticMarkup(<OrderTable orders={{ items, total: 25, page: 2, limit: 10, totalPages: 3 }} onOpen={noop} onPage={noop} />);
    expect(has(html, 'pagination')).toBe(true);
    expect(html).toContain('11–20 of 25');
  });

  it('says when there is none', () => {
    const html = renderToStaticMarkup(<OrderTable orders={{ items: [], total: 0, page: 1, limit: 10, totalPages: 0 }} onOpen={noop} onPage={noop} />);
    expect(textOf(html, 'no-orders')).toBe('No orders yet.');
  });
});

function sandboxPage(over: Partial<SandboxOrderViewProps> = {}): string {
  const props: SandboxOrderViewProps = {
    order: { kind: 'ready', data: order('o-1', 'pending') },
    isAdmin: true,
    busy: null,
    answer: null,
    error: null,
    onSettle: noop,
    ...over,
  };
  return renderToStaticMarkup(<SandboxOrderView {...props} />);
}

describe('the sandbox payment page', () => {
  it('shows the order and that no money moves; an admin gets Complete and Fail', () => {
    const html = sandboxPage();
    expect(has(html, 'sandbox-page-banner')).toBe(true);
    expect(html).toContain('Sandbox: no money moves.');
    expect(textOf(html, 'sandbox-order-amount')).toBe('¥10.00');
    expect(textOf(html, 'sandbox-order-item')).toBe('100 credits');
    expect(html).toMatch(/<button type="button" class="button primary" data-testid="sandbox-complete">Complete payment<\/button>/);
    expect(html).toMatch(/<button type="button" class="button danger" data-testid="sandbox-fail">Fail payment<\/button>/);
    expect(has(html, 'sandbox-admin-note')).toBe(false);
    expect(html).toMatch(/href="#\/credits" data-testid="back-to-credits"/);
  });

  it('tells anyone else that an admin completes sandbox payments', () => {
    const html = sandboxPage({ isAdmin: false });
    expect(has(html, 'sandbox-complete')).toBe(false);
    expect(textOf(html, 'sandbox-admin-note')).toMatch(/^An instance administrator completes sandbox payments/);
  });

  it('while completing, neither button can be pressed again', () => {
    expect(sandboxPage({ busy: 'success' })).toMatch(/disabled="" data-testid="sandbox-complete">Completing…/);
    expect(sandboxPage({ busy: 'success' })).toMatch(/disabled="" data-testid="sandbox-fail">/);
  });

  it('after the callback: the result, and no more buttons', () => {
    const paid = order('o-1', 'paid');
    const html = sandboxPage({ order: { kind: 'ready', data: paid }, answer: { result: 'credited', order: paid } });
    expect(textOf(html, 'sandbox-result')).toBe('Payment completed: the order is paid.');
    expect(has(html, 'sandbox-complete')).toBe(false);
    expect(html).toMatch(/data-testid="order-status" data-status="paid"/);
    const membership = sandboxPage({ order: { kind: 'ready', data: order('o-3', 'pending', { kind: 'membership', product: 'monthly', credits: 0, amount_cents: 990 }) } });
    expect(textOf(membership, 'sandbox-order-item')).toBe('Monthly membership');
  });

  it("an order paid elsewhere, or one that cannot be read", () => {
    expect(sandboxPage({ order: { kind: 'ready', data: order('o-1', 'pending', { gateway: 'alipay' }) } })).toContain('This order is paid through Alipay, not the sandbox.');
    const missing = sandboxPage({ order: { kind: 'error', message: 'No such resource' } });
    expect(has(missing, 'sandbox-order-error')).toBe(true);
    expect(missing).toContain('No such resource');
  });
});
