/**
 * Payments (docs/API-PAYMENTS.md): what can be bought, through which gateways, the orders that
 * buy it and their state; the sandbox's completion for instance admins. The calls, then their
 * TanStack Query hooks (keys under `keys.payments`).
 */
import { keepPreviousData, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import { sandboxTransactionId } from '../lib/payments';
import { apiPath, query } from './paths';
import { updateAdminConfig } from './providers';
import { keys } from './queries';
import type {
  AdminConfig,
  GatewayInfo,
  MembershipRequest,
  Order,
  OrderCreated,
  OrderKind,
  Page,
  PaymentPlan,
  RechargeRequest,
  SandboxAnswer,
  SandboxCallback,
} from './types';

export const PAYMENT_PATHS = {
  gateways: '/api/v1/payments/gateways',
  plans: '/api/v1/payments/plans',
  recharge: '/api/v1/credit/recharge',
  membership: '/api/v1/credit/membership',
  orders: {
    recharge: '/api/v1/credit/recharge/orders',
    membership: '/api/v1/credit/membership/orders',
  },
  sandboxCallback: '/api/v1/credit/payment/callback',
} as const satisfies Record<string, string | Record<OrderKind, string>>;

export interface OrderListQuery {
  page: number;
  limit: number;
}

export function listGateways(signal?: AbortSignal): Promise<GatewayInfo[]> {
  return request<GatewayInfo[]>('GET', PAYMENT_PATHS.gateways, undefined, signal);
}

export function listPlans(signal?: AbortSignal): Promise<PaymentPlan[]> {
  return request<PaymentPlan[]>('GET', PAYMENT_PATHS.plans, undefined, signal);
}

/** An order for credits (201). `amount_cents` is whole cents: ¥10.00 is 1000. */
export function createRecharge(body: RechargeRequest): Promise<OrderCreated> {
  return request<OrderCreated>('POST', PAYMENT_PATHS.recharge, body);
}

/** An order for a membership paid at a gateway (202; the membership starts once it is paid). */
export function createMembershipOrder(body: MembershipRequest): Promise<OrderCreated> {
  return request<OrderCreated>('POST', PAYMENT_PATHS.membership, body);
}

/** One order of the workspace, by id. */
export function getOrder(orderId: string, signal?: AbortSignal): Promise<Order> {
  return request<Order>('GET', apiPath('payments', 'status', orderId), undefined, signal);
}

/** The workspace's orders of one kind, newest first. */
export function listOrders(kind: OrderKind, q: OrderListQuery, signal?: AbortSignal): Promise<Page<Order>> {
  return request<Page<Order>>('GET', `${PAYMENT_PATHS.orders[kind]}${query({ page: q.page, limit: q.limit })}`, undefined, signal);
}

/**
 * Completes (or fails) a sandbox order, as the gateway would: instance admins only. The same
 * `transactionId` again is the same event (the server answers `already_done`).
 */
export function settleSandboxOrder(orderId: string, outcome: SandboxCallback['status'], transactionId = sandboxTransactionId()): Promise<SandboxAnswer> {
  const body: SandboxCallback = { order_id: orderId, payment_method: 'sandbox', transaction_id: transactionId, status: outcome };
  return request<SandboxAnswer>('POST', PAYMENT_PATHS.sandboxCallback, body);
}

/** Turns the sandbox gateway on for this server (instance admins). */
export function enableSandbox(): Promise<AdminConfig> {
  return updateAdminConfig({ payment_sandbox: true });
}

/* ---------- queries ---------- */

/** How often an order waiting for payment is asked about. */
export const ORDER_POLL_MS = 2000;

/** Poll while the order waits for payment (or is not read yet); stop once it is settled. */
export function orderPollInterval(order: Pick<Order, 'status'> | undefined): number | false {
  return order === undefined || order.status === 'pending' ? ORDER_POLL_MS : false;
}

export const useGateways = () =>
  useQuery({ queryKey: keys.payments.gateways, queryFn: ({ signal }) => listGateways(signal), staleTime: 30_000 });

export const usePlans = () =>
  useQuery({ queryKey: keys.payments.plans, queryFn: ({ signal }) => listPlans(signal), staleTime: 5 * 60_000 });

export const useOrders = (kind: OrderKind, q: OrderListQuery) =>
  useQuery({ queryKey: keys.payments.orderList(kind, q), queryFn: ({ signal }) => listOrders(kind, q, signal), placeholderData: keepPreviousData });

/**
 * One order's live state. While it is pending it is re-read every 2 s, also while the page is in
 * the background: the payer is at the gateway's page in another window, and comes back to a
 * current answer.
 */
export const orderStatusOptions = (orderId: string) =>
  queryOptions({
    queryKey: keys.payments.order(orderId),
    queryFn: ({ signal }) => getOrder(orderId, signal),
    refetchInterval: (q) => (q.state.status === 'error' && q.state.data === undefined ? false : orderPollInterval(q.state.data)),
    refetchIntervalInBackground: true,
  });

export const useOrderStatus = (orderId: string) => useQuery(orderStatusOptions(orderId));

/** After an order is paid: the balance, the ledger and the order lists read afresh. */
export function refreshAfterPayment(queryClient: QueryClient): Promise<void> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: keys.credits.all }),
    queryClient.invalidateQueries({ queryKey: keys.payments.orders }),
    // A paid order spends its coupon (`used`); a failed one gives it back (`unused`).
    queryClient.invalidateQueries({ queryKey: keys.operations.myCouponsAll }),
  ]).then(() => undefined);
}
