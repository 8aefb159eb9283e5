import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useMyCoupons } from '../../api/operations';
import { createRecharge } from '../../api/payments';
import { keys } from '../../api/queries';
import type { Gateway, MyCoupon, PaymentPlan } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatCount } from '../../lib/format';
import { couponAppliesTo, couponMinimum, couponPrice, describeCoupon } from '../../lib/operations';
import { formatMoney, isGatewayUnavailable, orderErrorMessage, rechargeAmount, summaryOfCreated, type OrderSummary, type RechargeAmount } from '../../lib/payments';
import { fieldErrorMessage, isApiError } from '../../transport';

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
  /** One's unused coupons (accounts mode); the picker shows when there is one. */
  coupons?: MyCoupon[];
  /** The picked coupon's code ("" for none). */
  couponCode?: string;
  onCoupon?: (code: string) => void;
  /** The server's refusal of the coupon (422 naming `coupon_code`), shown under it. */
  couponError?: string | null;
  /**
   * A coupon code typed in (the desktop buying on its team server, which has no wallet to pick
   * from): given, a text field replaces the picker.
   */
  couponText?: string;
  onCouponText?: (text: string) => void;
  /** The Pay button's test id (default `recharge-pay`). */
  payTestId?: string;
}

/** Packs, another amount in yuan, what it buys, and Pay. */
export function RechargeFormView(p: RechargeFormProps) {
  const t = useT();
  useLocale();
  const amountProblem = p.picked === CUSTOM && !p.amount.ok && p.showProblem ? t(`payments.amountError.${p.amount.problem}`) : null;
  const amountMessage = p.amountError ?? amountProblem;
  // The price and credits with the picked coupon, as the server will make them (shown before paying).
  const coupon = p.coupons?.find((c) => c.code === p.couponCode);
  const priced = p.amount.ok ? (coupon && couponPrice(coupon, p.amount.cents, p.amount.credits)) || { cents: p.amount.cents, credits: p.amount.credits } : null;
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
      {p.onCouponText ? <CouponCodeField {...p} /> : p.coupons && p.coupons.length > 0 && <CouponPicker {...p} coupons={p.coupons} />}
      <p className="pay-gets" aria-live="polite" data-testid="recharge-credits" data-credits={priced ? priced.credits : undefined}>
        {priced ? t('payments.recharge.buys', { credits: formatCount('credit', priced.credits) }) : t('payments.recharge.buysNothing')}
      </p>
      {p.formError && (
        <p className="form-error" role="alert" data-testid="recharge-error">
          {p.formError}
        </p>
      )}
      <button type="submit" className="button primary" disabled={p.busy} data-testid={p.payTestId ?? 'recharge-pay'}>
        {p.busy ? t('payments.creatingOrder') : priced ? t('payments.payAmount', { amount: formatMoney(priced.cents) }) : t('payments.pay')}
      </button>
    </form>
  );
}

/** A coupon code typed in (optional); the server's refusal of it shows under it. */
function CouponCodeField(p: RechargeFormProps) {
  const t = useT();
  return (
    <div className="form-field pay-coupon">
      <label htmlFor="recharge-coupon-code">{t('payments.recharge.couponCode')}</label>
      <input
        id="recharge-coupon-code"
        className={`input input-sm${p.couponError ? ' invalid' : ''}`}
        autoComplete="off"
        placeholder={t('payments.recharge.couponCodePlaceholder')}
        value={p.couponText ?? ''}
        onChange={(e) => p.onCouponText?.(e.target.value)}
        aria-invalid={p.couponError ? true : undefined}
        aria-describedby={p.couponError ? 'recharge-coupon-error' : undefined}
        data-testid="recharge-coupon-code"
      />
      {p.couponError && (
        <p className="field-error" id="recharge-coupon-error" data-testid="recharge-coupon-error">
          {p.couponError}
        </p>
      )}
    </div>
  );
}

/** One of one's unused coupons for the order; one whose minimum the amount misses cannot be picked. */
function CouponPicker(p: RechargeFormProps & { coupons: MyCoupon[] }) {
  const t = useT();
  const picked = p.coupons.find((c) => c.code === p.couponCode);
  return (
    <div className="form-field pay-coupon">
      <label htmlFor="recharge-coupon">{t('payments.recharge.coupon')}</label>
      <select
        id="recharge-coupon"
        className={`input input-sm select${p.couponError ? ' invalid' : ''}`}
        value={p.couponCode ?? ''}
        onChange={(e) => p.onCoupon?.(e.target.value)}
        aria-invalid={p.couponError ? true : undefined}
        aria-describedby={p.couponError ? 'recharge-coupon-error' : undefined}
        data-testid="recharge-coupon"
      >
        <option value="">{t('payments.recharge.couponNone')}</option>
        {p.coupons.map((c) => {
          const fits = !p.amount.ok || couponAppliesTo(c, p.amount.cents);
          const minimum = couponMinimum(c);
          return (
            <option key={c.id} value={c.code} disabled={!fits && c.code !== p.couponCode}>
              {fits || !minimum
                ? t('payments.recharge.couponOption', { name: c.name, value: describeCoupon(c) })
                : t('payments.recharge.couponNeeds', { name: c.name, value: describeCoupon(c), minimum })}
            </option>
          );
        })}
      </select>
      {picked && (
        <p className="muted" data-testid="recharge-coupon-value">
          {describeCoupon(picked)}
        </p>
      )}
      {p.couponError && (
        <p className="field-error" id="recharge-coupon-error" data-testid="recharge-coupon-error">
          {p.couponError}
        </p>
      )}
    </div>
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
  // Accounts mode: one of one's unused coupons may go with the order.
  const coupons = useMyCoupons('unused').data ?? [];
  const [couponCode, setCouponCode] = useState('');
  const [couponError, setCouponError] = useState<string | null>(null);

  const pack = packs.find((p) => p.plan_id === picked);
  const amount = rechargeAmount(pack ? { kind: 'pack', plan: pack } : { kind: 'custom', text: customText });

  async function submit() {
    setTried(true);
    setAmountError(null);
    setFormError(null);
    setCouponError(null);
    if (!amount.ok) return;
    setBusy(true);
    try {
      const created = await createRecharge({ amount_cents: amount.cents, payment_method: gateway, ...(couponCode ? { coupon_code: couponCode } : {}) });
      void queryClient.invalidateQueries({ queryKey: keys.payments.orders });
      if (couponCode) {
        // The order holds the coupon now (`reserved`): the wallet reads afresh.
        setCouponCode('');
        void queryClient.invalidateQueries({ queryKey: keys.operations.myCouponsAll });
      }
      onOrder(summaryOfCreated(created, 'recharge', 'credits'));
    } catch (e) {
      // A refusal of the amount goes under the amount when it was typed, of the coupon under the
      // coupon; anything else above Pay.
      const aboutAmount = isApiError(e) && (e.field === 'amount' || e.field === 'amount_cents') && picked === CUSTOM;
      const aboutCoupon = isApiError(e) && e.field === 'coupon_code' && couponCode !== '';
      if (aboutCoupon) setCouponError(fieldErrorMessage(e));
      else (aboutAmount ? setAmountError : setFormError)(orderErrorMessage(e));
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
      coupons={coupons}
      couponCode={couponCode}
      onCoupon={(code) => {
        setCouponCode(code);
        setCouponError(null);
      }}
      couponError={couponError}
    />
  );
}
