import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { usePlans } from '../../api/payments';
import { keys } from '../../api/queries';
import { useRemoteBalance, useRemoteGateways, type RemoteBalance, type RemoteBuyRequest } from '../../api/remotePayments';
import type { Gateway, GatewayInfo, MembershipType, PaymentPlan } from '../../api/types';
import { hasKey, useLocale, useT } from '../../i18n';
import { formatCredits } from '../../lib/credits';
import { formatDate } from '../../lib/format';
import { availableGateways, plansOfKind, rechargeAmount, type OrderSummary } from '../../lib/payments';
import { payOnTeamServer, remotePanelMode, remoteProblem, type RemoteProblem } from '../../lib/remotePay';
import { getTransport } from '../../transport';
import { hostOf } from '../connection/connection';
import { useConnectionStatus } from '../connection/store';
import { AlertIcon } from '../Icons';
import { GatewayPicker, SandboxBanner } from './GatewayPicker';
import { MembershipFormView, membershipOffers } from './MembershipForm';
import { CUSTOM, RechargeFormView } from './RechargeForm';
import './payments.css';

const CONNECTION_HASH = '#/connection';

export type RemoteWhat = 'recharge' | 'membership';

export interface RemoteCreditsPanelViewProps {
  /** The team server's address, as people read it (`team.example.com`). */
  host: string;
  balance: Load<RemoteBalance>;
  gateways: Load<GatewayInfo[]>;
  /** The plans (packs and memberships) to offer; none: only another amount. */
  plans: PaymentPlan[];
  gateway: Gateway | null;
  onGateway: (g: Gateway) => void;
  what: RemoteWhat;
  onWhat: (w: RemoteWhat) => void;
  /** A pack's `plan_id`, or CUSTOM. */
  picked: string;
  onPick: (picked: string) => void;
  customText: string;
  onCustomText: (text: string) => void;
  couponText: string;
  onCouponText: (text: string) => void;
  membership: MembershipType;
  onMembership: (m: MembershipType) => void;
  /** A Pay was tried (show what is wrong with the typed amount). */
  tried: boolean;
  busy: boolean;
  problem: RemoteProblem | null;
  onPay: () => void;
  onRetry: () => void;
}

/** A message, with the link to the Connection page when the desktop is not signed in. */
function ProblemLine({ problem, testId }: { problem: Pick<RemoteProblem, 'message' | 'signIn'>; testId: string }) {
  const t = useT();
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {problem.message}
      {problem.signIn && (
        <>
          {' '}
          <a href={CONNECTION_HASH} data-testid="remote-sign-in-link">
            {t('remotePay.openConnection')}
          </a>
        </>
      )}
    </p>
  );
}

/** A failed read: the team server unreachable, not signed in, or what the server said. */
function readProblem(load: Load<unknown>): RemoteProblem | null {
  return load.kind === 'error' ? remoteProblem(load.error ?? new Error(load.message)) : null;
}

/** The team server's balance, and buying credits or a membership there (the desktop, signed in). */
export function RemoteCreditsPanelView(p: RemoteCreditsPanelViewProps) {
  const t = useT();
  const locale = useLocale();
  const available = p.gateways.kind === 'ready' ? availableGateways(p.gateways.data) : [];
  const chosen = available.find((g) => g.gateway === p.gateway) ?? available[0];
  const packs = plansOfKind(p.plans, 'recharge');
  const offers = membershipOffers(plansOfKind(p.plans, 'membership'));
  const pack = packs.find((x) => x.plan_id === p.picked);
  const amount = rechargeAmount(pack ? { kind: 'pack', plan: pack } : { kind: 'custom', text: p.customText });
  const failed = readProblem(p.balance) ?? readProblem(p.gateways);
  const fieldError = (f: RemoteProblem['field']) => (p.problem && p.problem.field === f ? p.problem.message : null);
  // A refusal naming the amount goes under it when it was typed; otherwise above Pay.
  const amountError = p.picked === CUSTOM ? fieldError('amount_cents') : null;
  const formProblem = p.problem && (p.problem.field === null || (p.problem.field === 'amount_cents' && !amountError) || p.problem.field === 'membership_type') ? p.problem : null;
  const what: RemoteWhat = p.what === 'membership' && offers.length > 0 ? 'membership' : 'recharge';
  return (
    <section className="panel credit-section pay-panel" aria-labelledby="remote-credits-title" data-testid="remote-credits-panel">
      <h2 id="remote-credits-title">{t('remotePay.title')}</h2>
      <p className="muted pay-form-note">{t('remotePay.subtitle', { host: p.host })}</p>

      {p.balance.kind === 'ready' && (
        <section className="credit-stats" aria-label={t('remotePay.balance')}>
          <div className="credit-stat">
            <span className="credit-stat-label">{t('creditsPage.available')}</span>
            <span className="credit-stat-value" data-testid="remote-credits-available">
              {formatCredits(p.balance.data.available)}
            </span>
          </div>
          <div className="credit-stat">
            <span className="credit-stat-label">{t('account.membership')}</span>
            <span className="credit-stat-value" data-testid="remote-credits-membership" data-member={p.balance.data.is_member}>
              {membershipText(p.balance.data, t, locale)}
            </span>
          </div>
        </section>
      )}

      {failed && (
        <div className="load-error" role="alert" data-testid="remote-credits-error">
          <AlertIcon size={22} />
          <div>
            <ProblemLine problem={failed} testId="remote-credits-error-message" />
          </div>
          <button type="button" className="button secondary" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {!failed && (p.balance.kind === 'loading' || p.gateways.kind === 'loading') && (
        <span className="spinner" role="status" aria-label={t('common.loading')} />
      )}
      {p.gateways.kind === 'ready' && !chosen && (
        <p className="muted" role="note" data-testid="remote-no-gateway">
          {t('remotePay.noGateway')}
        </p>
      )}
      {p.gateways.kind === 'ready' && chosen && (
        <>
          <GatewayPicker gateways={available} value={chosen.gateway} onChange={p.onGateway} error={fieldError('payment_method')} />
          {chosen.sandbox && <SandboxBanner />}
          {offers.length > 0 && (
            <div className="segmented" role="group" aria-label={t('remotePay.what')}>
              {(['recharge', 'membership'] as const).map((w) => (
                <button
                  key={w}
                  type="button"
                  className={`segment${w === what ? ' active' : ''}`}
                  aria-pressed={w === what}
                  onClick={() => p.onWhat(w)}
                  data-testid={`remote-buy-${w}`}
                >
                  {t(`remotePay.buy.${w}`)}
                </button>
              ))}
            </div>
          )}
          <div className="pay-forms">
            {what === 'recharge' ? (
              <RechargeFormView
                packs={packs}
                picked={pack ? pack.plan_id : CUSTOM}
                customText={p.customText}
                amount={amount}
                showProblem={p.tried || p.customText.trim() !== ''}
                busy={p.busy}
                amountError={amountError}
                formError={null}
                onPick={p.onPick}
                onCustomText={p.onCustomText}
                onSubmit={p.onPay}
                couponText={p.couponText}
                onCouponText={p.onCouponText}
                couponError={fieldError('coupon_code')}
                payTestId="remote-buy-pay"
              />
            ) : (
              <MembershipFormView
                offers={offers}
                picked={p.membership}
                busy={p.busy}
                error={null}
                onPick={p.onMembership}
                onSubmit={p.onPay}
                payTestId="remote-buy-pay"
              />
            )}
          </div>
          {formProblem && <ProblemLine problem={formProblem} testId="remote-buy-error" />}
        </>
      )}
    </section>
  );
}

function membershipText(b: RemoteBalance, t: ReturnType<typeof useT>, locale: string): string {
  if (!b.is_member) return t('account.notMember');
  const typeKey = `payments.membership.type.${b.membership_type ?? ''}`;
  const typeName = b.membership_type ? (hasKey(typeKey) ? t(typeKey as never) : b.membership_type) : t('account.member');
  return b.membership_end_date ? t('account.memberUntil', { type: typeName, date: formatDate(b.membership_end_date, locale) }) : typeName;
}

/** One line for the desktop when it is not signed in to a team server: where to sign in. */
export function RemoteNotLinked() {
  const t = useT();
  return (
    <p className="muted credit-note" data-testid="remote-not-linked">
      {t('remotePay.notLinked')}{' '}
      <a href={CONNECTION_HASH}>{t('remotePay.openConnection')}</a>
    </p>
  );
}

/** The body Pay sends for the panel's choice (null: the typed amount is not one the server takes). */
export function remoteBuyBody(
  choice: { what: RemoteWhat; picked: string; customText: string; couponText: string; membership: MembershipType; packs: PaymentPlan[] },
  gateway: Gateway,
): RemoteBuyRequest | null {
  if (choice.what === 'membership') return { kind: 'membership', membership_type: choice.membership, payment_method: gateway };
  const pack = choice.packs.find((x) => x.plan_id === choice.picked);
  const amount = rechargeAmount(pack ? { kind: 'pack', plan: pack } : { kind: 'custom', text: choice.customText });
  if (!amount.ok) return null;
  const coupon = choice.couponText.trim();
  return { kind: 'recharge', amount_cents: amount.cents, payment_method: gateway, ...(coupon ? { coupon_code: coupon } : {}) };
}

/** The panel with its state: reads the team server's balance and gateways, Pay makes the order there. */
export function RemoteCreditsPanel({ host, onOrder }: { host: string; onOrder: (order: OrderSummary) => void }) {
  const queryClient = useQueryClient();
  const balance = loadOf(useRemoteBalance(true));
  const gateways = loadOf(useRemoteGateways(true));
  // The plans are the same catalogue on every Storyloom (the server's own prices are what the
  // order says); without them only another amount is offered.
  const plansRead = usePlans();
  const plans = plansRead.data ?? [];
  const packs = plansOfKind(plans, 'recharge');
  const offers = membershipOffers(plansOfKind(plans, 'membership'));
  const [gateway, setGateway] = useState<Gateway | null>(null);
  const [what, setWhat] = useState<RemoteWhat>('recharge');
  const [picked, setPicked] = useState<string | null>(null);
  const [customText, setCustomText] = useState('');
  const [couponText, setCouponText] = useState('');
  const [membership, setMembership] = useState<MembershipType | null>(null);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<RemoteProblem | null>(null);

  const available = gateways.kind === 'ready' ? availableGateways(gateways.data) : [];
  const chosen = (available.find((g) => g.gateway === gateway) ?? available[0])?.gateway;
  const pickedNow = picked ?? packs[0]?.plan_id ?? CUSTOM;
  const membershipNow = membership ?? offers[0]?.type ?? 'monthly';
  const whatNow: RemoteWhat = what === 'membership' && offers.length > 0 ? 'membership' : 'recharge';

  async function pay() {
    setTried(true);
    setProblem(null);
    if (!chosen) return;
    const body = remoteBuyBody({ what: whatNow, picked: pickedNow, customText, couponText, membership: membershipNow, packs }, chosen);
    if (!body) return;
    setBusy(true);
    try {
      const order = await payOnTeamServer(body);
      setCouponText('');
      onOrder(order);
    } catch (e) {
      const p = remoteProblem(e);
      setProblem(p);
      if (p.field === 'payment_method') void queryClient.invalidateQueries({ queryKey: keys.remote.gateways });
    } finally {
      setBusy(false);
    }
  }

  const clear = () => setProblem(null);
  return (
    <RemoteCreditsPanelView
      host={host}
      balance={balance}
      gateways={gateways}
      plans={plans}
      gateway={chosen ?? null}
      onGateway={(g) => {
        setGateway(g);
        clear();
      }}
      what={whatNow}
      onWhat={(w) => {
        setWhat(w);
        clear();
      }}
      picked={pickedNow}
      onPick={(x) => {
        setPicked(x);
        clear();
      }}
      customText={customText}
      onCustomText={(x) => {
        setCustomText(x);
        clear();
      }}
      couponText={couponText}
      onCouponText={(x) => {
        setCouponText(x);
        clear();
      }}
      membership={membershipNow}
      onMembership={(m) => {
        setMembership(m);
        clear();
      }}
      tried={tried}
      busy={busy}
      problem={problem}
      onPay={() => void pay()}
      onRetry={() => void queryClient.invalidateQueries({ queryKey: keys.remote.all })}
    />
  );
}

/**
 * The Credits page's part for the team server: on the desktop only, the panel while signed in,
 * a one-line hint while signed out, nothing otherwise.
 */
export function RemoteCredits({ onOrder }: { onOrder: (order: OrderSummary) => void }) {
  const kind = getTransport().kind;
  if (kind !== 'desktop') return null;
  return <RemoteCreditsForDesktop onOrder={onOrder} />;
}

function RemoteCreditsForDesktop({ onOrder }: { onOrder: (order: OrderSummary) => void }) {
  const { status } = useConnectionStatus();
  const mode = remotePanelMode('desktop', status);
  if (mode === 'not-linked') return <RemoteNotLinked />;
  if (mode !== 'linked' || !status) return null;
  return <RemoteCreditsPanel host={hostOf(status.server_url)} onOrder={onOrder} />;
}
