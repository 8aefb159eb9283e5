import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { createMembershipOrder } from '../../api/payments';
import { keys } from '../../api/queries';
import { MEMBERSHIP_TYPES, type Gateway, type MembershipType, type PaymentPlan } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatMoney, isGatewayUnavailable, membershipTypeOf, orderErrorMessage, summaryOfCreated, type OrderSummary } from '../../lib/payments';

/** A membership plan the UI can name (`membership_monthly`, …). */
export interface MembershipOffer {
  type: MembershipType;
  plan: PaymentPlan;
}

/** The membership plans of `GET /payments/plans` this UI knows, in the order the server lists prices. */
export function membershipOffers(plans: PaymentPlan[]): MembershipOffer[] {
  return plans.flatMap((plan) => {
    const type = membershipTypeOf(plan);
    return (MEMBERSHIP_TYPES as readonly string[]).includes(type) ? [{ type: type as MembershipType, plan }] : [];
  });
}

export interface MembershipFormProps {
  offers: MembershipOffer[];
  picked: MembershipType;
  busy: boolean;
  error: string | null;
  onPick: (type: MembershipType) => void;
  onSubmit: () => void;
  /** The Pay button's test id (default `membership-pay`). */
  payTestId?: string;
}

export function MembershipFormView({ offers, picked, busy, error, onPick, onSubmit, payTestId = 'membership-pay' }: MembershipFormProps) {
  const t = useT();
  useLocale();
  const chosen = offers.find((o) => o.type === picked);
  return (
    <form
      className="pay-form"
      data-testid="membership-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h3>{t('payments.membership.title')}</h3>
      <p className="muted pay-form-note">{t('payments.membership.note')}</p>
      <fieldset className="form-field">
        <legend>{t('payments.membership.plans')}</legend>
        <div className="choice-group" role="radiogroup" aria-label={t('payments.membership.plans')}>
          {offers.map((o) => (
            <label key={o.type} className={`choice${picked === o.type ? ' selected' : ''}`} data-testid={`membership-${o.type}`}>
              <input type="radio" name="membership-type" value={o.type} checked={picked === o.type} onChange={() => onPick(o.type)} />
              <span className="choice-label">{t(`payments.membership.type.${o.type}`)}</span>
              <span className="choice-hint">{formatMoney(o.plan.amount_cents, o.plan.currency)}</span>
            </label>
          ))}
        </div>
      </fieldset>
      {error && (
        <p className="form-error" role="alert" data-testid="membership-error">
          {error}
        </p>
      )}
      <button type="submit" className="button primary" disabled={busy || !chosen} data-testid={payTestId}>
        {busy ? t('payments.creatingOrder') : chosen ? t('payments.payAmount', { amount: formatMoney(chosen.plan.amount_cents, chosen.plan.currency) }) : t('payments.pay')}
      </button>
    </form>
  );
}

/** The membership form with its state: makes the order at the chosen gateway and hands it on. */
export function MembershipForm({ offers, gateway, onOrder }: { offers: MembershipOffer[]; gateway: Gateway; onOrder: (o: OrderSummary) => void }) {
  const queryClient = useQueryClient();
  const [picked, setPicked] = useState<MembershipType>(offers[0]?.type ?? 'monthly');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    setError(null);
    setBusy(true);
    try {
      const created = await createMembershipOrder({ membership_type: picked, payment_method: gateway });
      void queryClient.invalidateQueries({ queryKey: keys.payments.orders });
      onOrder(summaryOfCreated(created, 'membership', picked));
    } catch (e) {
      setError(orderErrorMessage(e));
      if (isGatewayUnavailable(e)) void queryClient.invalidateQueries({ queryKey: keys.payments.gateways });
    } finally {
      setBusy(false);
    }
  }

  return (
    <MembershipFormView
      offers={offers}
      picked={picked}
      busy={busy}
      error={error}
      onPick={(type) => {
        setPicked(type);
        setError(null);
      }}
      onSubmit={() => void submit()}
    />
  );
}
