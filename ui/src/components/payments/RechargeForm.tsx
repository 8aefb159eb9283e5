import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { createRecharge } from '../../api/payments';
import { keys } from '../../api/queries';
import type { Gateway, PaymentPlan } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatCount } from '../../lib/format';
import { formatMoney, isGatewayUnavailable, orderErrorMessage, rechargeAmount, summaryOfCreated, type OrderSummary, type RechargeAmount } from '../../lib/payments';
import { isApiError } from '../../transport';

/** The "other amount" choice among the packs. */
export const CUSTOM = 'custom';

export interface RechargeFormProps {
  packs: PaymentPlan[];
  /** A pack's `plan_id`, or CUSTOM. */
  picked: string;
  customText: string;
  amount: RechargeAmount;
  /** Show what is wrong with the typed amount (once typed, or after a try to pay). */
  showProblem: boolean;
  busy: boolean;
  /** The server's refusal of the amount, shown under it. */
  amountError: string | null;
  formError: string | null;
  onPick: (picked: string) => void;
  onCustomText: (text: string) => void;
  onSubmit: () => void;
}

/** Packs, another amount in yuan, what it buys, and Pay. */
export function RechargeFormView(p: RechargeFormProps) {
  const t = useT();
  useLocale();
  const amountProblem = p.picked === CUSTOM && !p.amount.ok && p.showProblem ? t(`payments.amountError.${p.amount.problem}`) : null;
  const amountMessage = p.amountError ?? amountProblem;
  return (
    <form
      className="pay-form"
      data-testid="recharge-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        p.onSubmit();
      }}
    >
      <h3>{t('payments.recharge.title')}</h3>
      <fieldset className="form-field">
        <legend>{t('payments.recharge.packs')}</legend>
        <div className="choice-group pay-packs" role="radiogroup" aria-label={t('payments.recharge.packs')}>
          {p.packs.map((plan) => (
            <label key={plan.plan_id} className={`choice${p.picked === plan.plan_id ? ' selected' : ''}`} data-testid={`pack-${plan.plan_id}`}>
              <input type="radio" name="recharge-pack" value={plan.plan_id} checked={p.picked === plan.plan_id} onChange={() => p.onPick(plan.plan_id)} />
              <span className="choice-label">{formatMoney(plan.amount_cents, plan.currency)}</span>
              <span className="choice-hint">{formatCount('credit', plan.credits)}</span>
            </label>
          ))}
          <label className={`choice${p.picked === CUSTOM ? ' selected' : ''}`} data-testid="pack-custom">
            <input type="radio" name="recharge-pack" value={CUSTOM} checked={p.picked === CUSTOM} onChange={() => p.onPick(CUSTOM)} />
            <span className="choice-label">{t('payments.recharge.other')}</span>
            <span className="choice-hint">{t('payments.recharge.otherHint')}</span>
          </label>
        </div>
      </fieldset>
      {p.picked === CUSTOM && (
        <div className="form-field">
          <label htmlFor="recharge-amount">{t('payments.recharge.amountLabel')}</label>
          <div className="pay-amount">
            <span aria-hidden="true">¥</span>
            <input
              id="recharge-amount"
              className={`input input-sm${amountMessage ? ' invalid' : ''}`}
              inputMode="decimal"
              autoComplete="off"
              placeholder={t('payments.recharge.amountPlaceholder')}
              value={p.customText}
              onChange={(e) => p.onCustomText(e.target.value)}
              aria-invalid={amountMessage ? true : undefined}
              aria-describedby={amountMessage ? 'recharge-amount-error' : undefined}
              data-testid="recharge-amount"
            />
          </div>
          {amountMessage && (
            <p className="field-error" id="recharge-amount-error" data-testid="recharge-amount-error">
              {amountMessage}
            </p>
          )}
        </div>
      )}
      <p className="pay-gets" aria-live="polite" data-testid="recharge-credits" data-credits={p.amount.ok ? p.amount.credits : undefined}>
        {p.amount.ok ? t('payments.recharge.buys', { credits: formatCount('credit', p.amount.credits) }) : t('payments.recharge.buysNothing')}
      </p>
      {p.formError && (
        <p className="form-error" role="alert" data-testid="recharge-error">
          {p.formError}
        </p>
      )}
      <button type="submit" className="button primary" disabled={p.busy} data-testid="recharge-pay">
        {p.busy ? t('payments.creatingOrder') : p.amount.ok ? t('payments.payAmount', { amount: formatMoney(p.amount.cents) }) : t('payments.pay')}
      </button>
    </form>
  );
}

/** The recharge form with its state: makes the order at the chosen gateway and hands it on. */
export function RechargeForm({ packs, gateway, onOrder }: { packs: PaymentPlan[]; gateway: Gateway; onOrder: (o: OrderSummary) => void }) {
  const queryClient = useQueryClient();
  const [picked, setPicked] = useState(packs[0]?.plan_id ?? CUSTOM);
  const [customText, setCustomText] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [amountError, setAmountError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);

  const pack = packs.find((p) => p.plan_id === picked);
  const amount = rechargeAmount(pack ? { kind: 'pack', plan: pack } : { kind: 'custom', text: customText });

  async function submit() {
    setTried(true);
    setAmountError(null);
    setFormError(null);
    if (!amount.ok) return;
    setBusy(true);
    try {
      const created = await createRecharge({ amount_cents: amount.cents, payment_method: gateway });
      void queryClient.invalidateQueries({ queryKey: keys.payments.orders });
      onOrder(summaryOfCreated(created, 'recharge', 'credits'));
    } catch (e) {
      // A refusal of the amount goes under the amount when it was typed; anything else above Pay.
      const aboutAmount = isApiError(e) && (e.field === 'amount' || e.field === 'amount_cents') && picked === CUSTOM;
      (aboutAmount ? setAmountError : setFormError)(orderErrorMessage(e));
      if (isGatewayUnavailable(e)) void queryClient.invalidateQueries({ queryKey: keys.payments.gateways });
    } finally {
      setBusy(false);
    }
  }

  return (
    <RechargeFormView
      packs={packs}
      picked={picked}
      customText={customText}
      amount={amount}
      showProblem={tried || customText.trim() !== ''}
      busy={busy}
      amountError={amountError}
      formError={formError}
      onPick={(next) => {
        setPicked(next);
        setAmountError(null);
      }}
      onCustomText={(text) => {
        setCustomText(text);
        setAmountError(null);
      }}
      onSubmit={() => void submit()}
    />
  );
}
