import type { OrderStatus } from '../../api/types';
import { useT } from '../../i18n';

/** An order's state as a coloured badge ("Waiting for payment", "Paid", …). */
export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const t = useT();
  return (
    <span className={`badge order-status order-status-${status}`} data-testid="order-status" data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {t(`payments.status.${status}`)}
    </span>
  );
}
