import { hasKey, useLocale, useT } from '../../i18n';
import { formatCount } from '../../lib/format';
import type { OrderSummary } from '../../lib/payments';

/** What an order buys, in words: "100 credits", "Monthly membership". */
export function OrderItem({ order }: { order: Pick<OrderSummary, 'kind' | 'product' | 'credits'> }) {
  const t = useT();
  useLocale();
  if (order.kind === 'recharge') return <>{formatCount('credit', order.credits)}</>;
  const key = `payments.membership.named.${order.product}`;
  return <>{hasKey(key) ? t(key as never) : t('payments.membership.namedOther', { type: order.product })}</>;
}
