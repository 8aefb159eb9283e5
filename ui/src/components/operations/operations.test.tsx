import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { User } from '../../api/accounts';
import type { Load } from '../../api/load';
import type { Activity, AdminOrder, OperationStats, ReferralRecords } from '../../api/operations';
import { makeQueryClient } from '../../api/queryClient';
import type { Coupon, MyCoupon, Page, PaymentPlan } from '../../api/types';
import { i18n } from '../../i18n';
import { EMPTY_ACTIVITY_FORM, EMPTY_COUPON_FORM } from '../../lib/operations';
import { rechargeAmount } from '../../lib/payments';
import { parseRoute } from '../../lib/route';
import { MembershipSection } from '../account/AccountPage';
import { AuthContext, type AuthApi } from '../account/AuthContext';
import { SignUpPage } from '../account/AuthPages';
import { RechargeFormView, type RechargeFormProps } from '../payments/RechargeForm';
import { Sidebar } from '../Sidebar';
import { ToastProvider } from '../Toasts';
import { ActivityFormView, AdminActivitiesTable } from './AdminActivities';
import { AdminCouponsTable, CouponFormView } from './AdminCoupons';
import { AdminOperationsPage } from './AdminOperationsPage';
import { AdminOrdersView, type AdminOrdersViewProps } from './AdminOrders';
import { AdminStatisticsView } from './AdminStatistics';
import { ActivitiesView, type ActivitiesViewProps } from './ActivitiesPanel';
import { CouponsView, type CouponsViewProps } from './CouponsPanel';
import { ReferralView, type ReferralViewProps } from './ReferralPanel';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
/** The text of the element with a test id (its first text run). */
const textOf = (html: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)`).exec(html)?.[1];
const pageOf = <T,>(items: T[], over: Partial<Page<T>> = {}): Page<T> => ({ items, total: items.length, page: 1, limit: 10, totalPages: 1, ...over });
const ready = <T,>(data: T): Load<T> => ({ kind: 'ready', data });

afterEach(async () => {
  await i18n.changeLanguage('en');
});

function coupon(code: string, over: Partial<Coupon> = {}): Coupon {
  return {
    id: `id-${code}`,
    code,
    name: `${code} coupon`,
    type: 'discount',
    value: 10,
    min_amount_cents: 0,
    max_usage: 100,
    used_count: 40,
    valid_from: '2026-11-01T00:00:00Z',
    valid_until: '2026-12-31T00:00:00Z',
    status: 'active',
    created_at: '2026-11-01T00:00:00Z',
    ...over,
  };
}

const mine = (code: string, over: Partial<MyCoupon> = {}): MyCoupon => ({ ...coupon(code), claim_status: 'unused', claimed_at: '2026-11-02T00:00:00Z', ...over });

function couponsView(over: Partial<CouponsViewProps> = {}): string {
  const props: CouponsViewProps = {
    mine: ready([mine('WELCOME', { type: 'credit_bonus', value: 50 })]),
    mineStatus: 'unused',
    onMineStatus: noop,
    available: ready(pageOf([coupon('SPRING10'), coupon('FIVE', { type: 'deduction', value: 500, min_amount_cents: 5000 })])),
    claiming: null,
    claimError: null,
    onClaim: noop,
    onPage: noop,
    onRetry: noop,
    ...over,
  };
  return renderToStaticMarkup(<CouponsView {...props} />);
}

describe('the coupons on the Credits page', () => {
  it('shows the wallet and the coupons to claim, each with what it gives', () => {
    const html = couponsView();
    expect(html).toMatch(/data-testid="my-coupon-WELCOME" data-status="unused"/);
    expect(textOf(html, 'my-coupon-value-WELCOME')).toBe('+50 credits');
    expect(textOf(html, 'coupon-value-SPRING10')).toBe('10% off');
    expect(textOf(html, 'coupon-value-FIVE')).toBe('¥5.00 off');
    expect(html).toContain('On orders from ¥50.00');
    expect(html).toContain('60 of 100');
    expect(textOf(html, 'coupon-claim-SPRING10')).toBe('Claim');
    expect(textOf(html, 'coupon-claim-FIVE')).toBe('Claim');
    expect(html).toMatch(/aria-pressed="true" data-testid="my-coupons-filter-unused"/);
  });

  it('while one is claimed no Claim can be pressed; a refusal (409) shows its message', () => {
    const busy = couponsView({ claiming: 'id-SPRING10' });
    expect(busy).toMatch(/disabled="" data-testid="coupon-claim-SPRING10">Claiming…/);
    expect(busy).toMatch(/disabled="" data-testid="coupon-claim-FIVE">Claim</);
    const refused = couponsView({ claimError: { couponId: 'id-SPRING10', message: 'this coupon is used up' } });
    expect(textOf(refused, 'coupon-claim-error')).toBe('this coupon is used up');
  });

  it('says when there is none, per claim status', () => {
    const html = couponsView({ mine: ready([]), mineStatus: 'used', available: ready(pageOf([])) });
    expect(textOf(html, 'my-coupons-none')).toBe('No used coupons yet.');
    expect(textOf(html, 'coupons-none')).toBe('No coupons to claim right now.');
    expect(has(html, 'available-coupons')).toBe(false);
  });
});

function activity(id: string, over: Partial<Activity> = {}): Activity {
  return {
    id,
    name: `Activity ${id}`,
    type: 'credit_gift',
    description: 'A welcome gift',
    config: { credits: 100 },
    start_time: '2026-11-01T00:00:00Z',
    end_time: '2026-12-31T00:00:00Z',
    status: 'active',
    participants: 12,
    joined: false,
    created_at: '2026-11-01T00:00:00Z',
    ...over,
  };
}

function activitiesView(over: Partial<ActivitiesViewProps> = {}): string {
  const props: ActivitiesViewProps = {
    activities: ready(
      pageOf([
        activity('a1'),
        activity('a2', { type: 'membership_discount', config: { percent: 20 }, joined: true }),
        activity('a3', { type: 'first_purchase', config: { percent: 15 } }),
        activity('a4', { type: 'referral_bonus', config: { credits: 30 }, participants: 1 }),
      ]),
    ),
    joining: null,
    outcome: null,
    onJoin: noop,
    onRetry: noop,
    ...over,
  };
  return renderToStaticMarkup(<ActivitiesView {...props} />);
}

describe('the activities on the Credits page', () => {
  it('describes what each gives, with Join for those not joined yet', () => {
    const html = activitiesView();
    expect(textOf(html, 'activity-benefit-a1')).toBe('+100 credits now');
    expect(textOf(html, 'activity-benefit-a2')).toBe('20% off your next membership');
    expect(textOf(html, 'activity-benefit-a3')).toBe('15% off your first order');
    expect(textOf(html, 'activity-benefit-a4')).toBe('30 credits for each friend whose first order is paid');
    expect(textOf(html, 'activity-join-a1')).toBe('Join');
    expect(has(html, 'activity-join-a2')).toBe(false);
    expect(textOf(html, 'activity-joined-a2')).toBe('Joined');
    expect(html).toContain('12 joined');
    expect(html).toContain('1 joined');
  });

  it('after Join: the credits granted; a refusal under its activity', () => {
    expect(activitiesView({ joining: 'a1' })).toMatch(/disabled="" data-testid="activity-join-a1">Joining…/);
    const joined = activitiesView({ outcome: { activityId: 'a1', ok: true, name: 'Activity a1', credits: 100 } });
    expect(textOf(joined, 'activity-join-result')).toBe('You joined Activity a1: 100 credits were added to your balance.');
    const refused = activitiesView({ outcome: { activityId: 'a3', ok: false, message: 'the activity has ended' } });
    expect(textOf(refused, 'activity-join-error-a3')).toBe('the activity has ended');
    expect(has(refused, 'activity-join-error-a1')).toBe(false);
  });

  it('says when none is running', () => {
    expect(textOf(activitiesView({ activities: ready(pageOf([])) }), 'activities-none')).toBe('No activities are running now.');
  });
});

const records: ReferralRecords = {
  items: [
    { id: 'r1', referred_user: 'bob', reward_amount: 30, status: 'completed', created_at: '2026-11-03T00:00:00Z', rewarded_at: '2026-11-04T00:00:00Z' },
    { id: 'r2', referred_user: 'cat', reward_amount: 0, status: 'pending', created_at: '2026-11-05T00:00:00Z', rewarded_at: null },
  ],
  total: 2,
  page: 1,
  limit: 10,
  totalPages: 1,
  total_rewards: 30,
};

function referralView(over: Partial<ReferralViewProps> = {}): string {
  const props: ReferralViewProps = {
    link: null,
    generating: false,
    generateError: null,
    copy: 'idle',
    onGenerate: noop,
    onCopy: noop,
    records: ready(records),
    onPage: noop,
    ...over,
  };
  return renderToStaticMarkup(<ReferralView {...props} />);
}

describe('the referral section', () => {
  it('offers to make the link, then shows it with Copy', () => {
    const before = referralView();
    expect(textOf(before, 'referral-generate')).toBe('Get my invite link');
    expect(has(before, 'referral-link')).toBe(false);
    const after = referralView({ link: { code: 'ABC123', url: 'https://studio.example.com/#/sign-up?ref=ABC123' } });
    expect(after).toMatch(/readOnly="" data-testid="referral-link" value="https:\/\/studio\.example\.com\/#\/sign-up\?ref=ABC123"/);
    expect(textOf(after, 'referral-copy')).toBe('Copy link');
    expect(textOf(after, 'referral-code')).toBe('Your code: ABC123');
    expect(has(after, 'referral-generate')).toBe(false);
    expect(textOf(referralView({ link: { code: 'A', url: 'u' }, copy: 'copied' }), 'referral-copy')).toBe('Copied');
    expect(has(referralView({ link: { code: 'A', url: 'u' }, copy: 'failed' }), 'referral-copy-failed')).toBe(true);
    expect(textOf(referralView({ generateError: 'Forbidden' }), 'referral-error')).toBe('Forbidden');
  });

  it('lists the referrals with the total rewards', () => {
    const html = referralView();
    expect(html).toMatch(/data-testid="referral-total-rewards" data-credits="30">Rewards earned: 30 credits/);
    expect(html.match(/data-testid="referral-row"/g)).toHaveLength(2);
    expect(html).toMatch(/data-status="completed"><td class="cell-strong">bob<\/td>.*Rewarded/);
    expect(html).toMatch(/data-status="pending"><td class="cell-strong">cat<\/td>.*Waiting for a paid order/);
    expect(textOf(referralView({ records: ready({ ...records, items: [], total: 0, total_rewards: 0 }) }), 'referral-none')).toMatch(/Nobody/);
  });
});

const PACKS: PaymentPlan[] = [{ plan_id: 'credits_100', kind: 'recharge', amount_cents: 1000, currency: 'CNY', credits: 100 }];

function recharge(over: Partial<RechargeFormProps> = {}): string {
  const props: RechargeFormProps = {
    packs: PACKS,
    picked: 'credits_100',
    customText: '',
    amount: rechargeAmount({ kind: 'pack', plan: PACKS[0]! }),
    showProblem: false,
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

describe('the coupon picker of the recharge form', () => {
  it('shows only with unused coupons; one whose minimum the amount misses cannot be picked', () => {
    expect(has(recharge(), 'recharge-coupon')).toBe(false);
    const html = recharge({ coupons: [mine('SPRING10'), mine('BIG', { type: 'deduction', value: 500, min_amount_cents: 5000 })], couponCode: 'SPRING10' });
    expect(has(html, 'recharge-coupon')).toBe(true);
    expect(html).toContain('<option value="">No coupon</option>');
    expect(html).toContain('<option value="SPRING10" selected="">SPRING10 coupon · 10% off</option>');
    expect(html).toContain('<option value="BIG" disabled="">BIG coupon · ¥5.00 off (On orders from ¥50.00)</option>');
    expect(textOf(html, 'recharge-coupon-value')).toBe('10% off');
    const refused = recharge({ coupons: [mine('SPRING10')], couponCode: 'SPRING10', couponError: 'no such coupon' });
    expect(textOf(refused, 'recharge-coupon-error')).toBe('no such coupon');
  });
});

function adminOrder(id: string, over: Partial<AdminOrder> = {}): AdminOrder {
  return {
    coupon_id: null,
    list_amount_cents: 1000,
    discount_cents: 0,
    bonus_credits: 0,
    id,
    out_trade_no: id,
    owner_id: 'u1',
    user_id: 'u1',
    username: 'ann',
    kind: 'recharge',
    product: 'credits',
    gateway: 'sandbox',
    amount_cents: 1000,
    currency: 'CNY',
    credits: 100,
    status: 'pending',
    payment_url: null,
    created_at: '2026-12-06T21:34:03.171Z',
    updated_at: '2026-12-06T21:34:03.171Z',
    expires_at: '2026-12-06T22:04:03.171Z',
    paid_at: null,
    ...over,
  };
}

function ordersView(over: Partial<AdminOrdersViewProps> = {}): string {
  const props: AdminOrdersViewProps = {
    orders: ready(pageOf([adminOrder('o1'), adminOrder('o2', { gateway: 'alipay' }), adminOrder('o3', { status: 'paid', username: 'bob' })])),
    status: '',
    gateway: '',
    onStatus: noop,
    onGateway: noop,
    marking: null,
    markError: null,
    onMarkPaid: noop,
    onPage: noop,
    ...over,
  };
  return renderToStaticMarkup(<AdminOrdersView {...props} />);
}

describe("the admin's orders", () => {
  it('lists every order with who made it; only a pending sandbox order can be marked paid', () => {
    const html = ordersView();
    expect(has(html, 'admin-orders-table')).toBe(true);
    expect(html.match(/data-testid="admin-order-row"/g)).toHaveLength(3);
    expect(html).toMatch(/data-order="o3" data-status="paid" data-gateway="sandbox"><td>[^<]*<\/td><td class="cell-strong">bob</);
    expect(textOf(html, 'admin-order-mark-paid-o1')).toBe('Mark paid (sandbox)');
    expect(has(html, 'admin-order-mark-paid-o2')).toBe(false);
    expect(has(html, 'admin-order-mark-paid-o3')).toBe(false);
    expect(ordersView({ marking: 'o1' })).toMatch(/disabled="" data-testid="admin-order-mark-paid-o1">Marking…/);
    expect(textOf(ordersView({ markError: { orderId: 'o1', message: 'Forbidden' } }), 'admin-order-mark-error')).toBe('Forbidden');
  });

  it('filters by status and gateway', () => {
    const html = ordersView({ status: 'pending', gateway: 'sandbox' });
    expect(html).toMatch(/data-testid="admin-orders-status">.*<option value="pending" selected="">Waiting for payment<\/option>/);
    expect(html).toMatch(/data-testid="admin-orders-gateway">.*<option value="sandbox" selected="">Sandbox<\/option>/);
    expect(textOf(ordersView({ orders: ready(pageOf([])) }), 'admin-orders-none')).toBe('No orders match.');
  });
});

const STATS: OperationStats = {
  start_date: '2026-11-07',
  end_date: '2026-12-06',
  total_users: 1234,
  new_users: 56,
  total_revenue: 1234.5,
  total_revenue_cents: 123450,
  total_credits_sold: 12345,
  active_members: 7,
  paying_users: 20,
  paid_orders: 31,
  conversion_rate: 0.0162,
};

describe("the admin's statistics", () => {
  it('shows the figures as cards, revenue as money and conversion as a percent', () => {
    const html = renderToStaticMarkup(<AdminStatisticsView stats={ready(STATS)} range={{}} onRange={noop} />);
    expect(textOf(html, 'stats-revenue')).toBe('¥1,234.50');
    expect(textOf(html, 'stats-new-users')).toBe('56');
    expect(textOf(html, 'stats-total-users')).toBe('1,234');
    expect(textOf(html, 'stats-credits-sold')).toBe('12,345');
    expect(textOf(html, 'stats-paid-orders')).toBe('31');
    expect(textOf(html, 'stats-paying-users')).toBe('20');
    expect(textOf(html, 'stats-active-members')).toBe('7');
    expect(textOf(html, 'stats-conversion')).toBe('1.6%');
    expect(textOf(html, 'stats-range')).toMatch(/2026.*–.*2026/);
    expect(html).toMatch(/data-testid="stats-start" value=""/);
    const ranged = renderToStaticMarkup(<AdminStatisticsView stats={{ kind: 'loading' }} range={{ start_date: '2026-11-01', end_date: '2026-11-30' }} onRange={noop} />);
    expect(ranged).toMatch(/max="2026-11-30" data-testid="stats-start" value="2026-11-01"/);
    expect(ranged).toMatch(/min="2026-11-01" data-testid="stats-end" value="2026-11-30"/);
    expect(has(ranged, 'stats-revenue')).toBe(false);
  });
});

describe("the admin's forms", () => {
  it('the coupon form: its fields, the value label by kind, and each error under its field', () => {
    const html = renderToStaticMarkup(
      <CouponFormView
        form={{ ...EMPTY_COUPON_FORM, type: 'deduction' }}
        errors={{ code: 'a coupon with that code exists', value: 'value out of range', valid_until: 'Must be after the start' }}
        busy={false}
        formError={null}
        onChange={noop}
        onSubmit={noop}
      />,
    );
    expect(has(html, 'admin-coupon-form')).toBe(true);
    for (const f of ['code', 'name', 'value', 'min_amount', 'max_usage', 'valid_from', 'valid_until']) expect(has(html, `${f}-input`), f).toBe(true);
    expect(html).toContain('Yuan off');
    expect(textOf(html, 'field-error-code')).toBe('a coupon with that code exists');
    expect(textOf(html, 'field-error-value')).toBe('value out of range');
    expect(textOf(html, 'field-error-valid_until')).toBe('Must be after the start');
    expect(has(html, 'field-error-name')).toBe(false);
    expect(html).toMatch(/type="datetime-local"/);
  });

  it('the activity form: credits or a percent by type, and each error under its field', () => {
    const credits = renderToStaticMarkup(
      <ActivityFormView form={EMPTY_ACTIVITY_FORM} errors={{ credits: 'credits must be at least 1', end_time: 'end before start' }} busy={false} formError={null} onChange={noop} onSubmit={noop} />,
    );
    expect(has(credits, 'admin-activity-form')).toBe(true);
    expect(has(credits, 'credits-input')).toBe(true);
    expect(has(credits, 'percent-input')).toBe(false);
    expect(textOf(credits, 'field-error-credits')).toBe('credits must be at least 1');
    expect(textOf(credits, 'field-error-end_time')).toBe('end before start');
    const percent = renderToStaticMarkup(
      <ActivityFormView form={{ ...EMPTY_ACTIVITY_FORM, type: 'first_purchase' }} errors={{}} busy formError="Something broke" onChange={noop} onSubmit={noop} />,
    );
    expect(has(percent, 'percent-input')).toBe(true);
    expect(has(percent, 'credits-input')).toBe(false);
    expect(textOf(percent, 'admin-activity-error')).toBe('Something broke');
    expect(percent).toMatch(/disabled="" data-testid="admin-activity-create">Creating…/);
  });

  it('the lists', () => {
    const coupons = renderToStaticMarkup(<AdminCouponsTable coupons={ready(pageOf([coupon('SPRING10', { status: 'disabled' })]))} onPage={noop} />);
    expect(has(coupons, 'admin-coupons-table')).toBe(true);
    expect(coupons).toMatch(/data-code="SPRING10" data-status="disabled">.*10% off.*40 \/ 100.*Disabled/);
    const activities = renderToStaticMarkup(<AdminActivitiesTable activities={ready(pageOf([activity('a1', { status: 'ended', participants: 1500 })]))} onPage={noop} />);
    expect(has(activities, 'admin-activities-table')).toBe(true);
    expect(activities).toMatch(/data-activity="a1" data-status="ended">.*Credit gift.*\+100 credits now.*Ended.*1,500/);
  });
});

const user = (over: Partial<User> = {}): User => ({
  id: 'u1',
  username: 'olga',
  email: null,
  display_name: null,
  role: 'user',
  is_admin: false,
  status: 'active',
  created_at: '2026-02-01T10:00:00Z',
  ...over,
});

const authOf = (u: User): AuthApi => ({ user: u, setUser: noop, signOut: async () => undefined });

const withApp = (node: ReactNode, auth: AuthApi | null) =>
  renderToStaticMarkup(
    <QueryClientProvider client={makeQueryClient()}>
      <ToastProvider>
        <AuthContext.Provider value={auth}>{node}</AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );

describe('admin-only gating', () => {
  it('the operations pages are for instance admins', () => {
    const member = withApp(<AdminOperationsPage tab="admin-coupons" />, authOf(user()));
    expect(has(member, 'admin-ops-forbidden')).toBe(true);
    expect(member).toContain('Only instance admins manage operations.');
    expect(has(member, 'admin-coupon-form')).toBe(false);

    const admin = withApp(<AdminOperationsPage tab="admin-coupons" />, authOf(user({ is_admin: true })));
    expect(admin).toMatch(/data-testid="admin-ops-page" data-tab="admin-coupons"/);
    expect(has(admin, 'admin-coupon-form')).toBe(true);
    for (const tab of ['coupons', 'activities', 'orders', 'statistics']) expect(has(admin, `admin-ops-tab-${tab}`)).toBe(true);
    expect(admin).toMatch(/class="tab active" href="#\/admin\/coupons" aria-current="page" data-testid="admin-ops-tab-coupons"/);
    expect(has(withApp(<AdminOperationsPage tab="admin-activities" />, authOf(user({ is_admin: true }))), 'admin-activity-form')).toBe(true);
    expect(has(withApp(<AdminOperationsPage tab="admin-orders" />, authOf(user({ is_admin: true }))), 'admin-orders')).toBe(true);
    expect(has(withApp(<AdminOperationsPage tab="admin-statistics" />, authOf(user({ is_admin: true }))), 'admin-statistics')).toBe(true);
    expect(has(withApp(<AdminOperationsPage tab="admin-coupons" />, null), 'admin-ops-forbidden')).toBe(true);
  });

  it('the sidebar links Operations for admins only, active on every operations tab', () => {
    const signOut = async () => undefined;
    const admin = withApp(<Sidebar route={parseRoute('#/admin/orders')} account={{ user: user({ is_admin: true }), onSignOut: signOut }} />, null);
    expect(admin).toMatch(/class="nav-item active" href="#\/admin\/coupons" aria-current="page" data-testid="nav-admin-operations"/);
    const member = withApp(<Sidebar route={{ name: 'projects' }} account={{ user: user(), onSignOut: signOut }} />, null);
    expect(has(member, 'nav-admin-operations')).toBe(false);
    expect(has(withApp(<Sidebar route={{ name: 'projects' }} />, null), 'nav-admin-operations')).toBe(false);
  });
});

describe('sign-up with a referral code', () => {
  it('prefills the optional Referral code field from the link', () => {
    const html = renderToStaticMarkup(<SignUpPage onSignedIn={noop} referralCode="ABC123" />);
    expect(html).toMatch(/<input id="su-referral_code" class="input" data-field="referral_code" data-testid="referral_code-input" autoComplete="off" name="referral_code" value="ABC123"\/>/);
    expect(html).toMatch(/Referral code<span class="optional"> optional<\/span>/);
    expect(renderToStaticMarkup(<SignUpPage onSignedIn={noop} />)).toMatch(/data-testid="referral_code-input" autoComplete="off" name="referral_code" value=""/);
  });
});

describe('the account page', () => {
  it('shows the membership with its end date and the referral code', () => {
    const html = renderToStaticMarkup(
      <MembershipSection user={user({ is_member: true, membership_type: 'yearly', membership_end_date: '2027-03-01T12:00:00Z', referral_code: 'ABC123', credit_balance: 1500 })} />,
    );
    expect(textOf(html, 'account-membership')).toMatch(/^Yearly until Mar 1, 2027$/);
    expect(textOf(html, 'account-referral-code')).toBe('ABC123');
    expect(textOf(html, 'account-credits')).toBe('1,500');
    const plain = renderToStaticMarkup(<MembershipSection user={user({ is_member: false, membership_type: null, membership_end_date: null, referral_code: null })} />);
    expect(textOf(plain, 'account-membership')).toBe('Not a member');
    expect(has(plain, 'account-referral-code')).toBe(false);
    expect(plain).toMatch(/href="#\/credits" data-testid="account-get-referral"/);
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    const html = renderToStaticMarkup(<MembershipSection user={user({ is_member: true, membership_type: 'monthly', membership_end_date: '2027-03-01T12:00:00Z' })} />);
    expect(textOf(html, 'account-membership')).toBe('月度，有效期至 2027年3月1日');
  });
});
