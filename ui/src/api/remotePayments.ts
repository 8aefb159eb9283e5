/**
 * The desktop buys credits and memberships on the team server it is signed in to (issue 18):
 * `/api/v1/remote/...` on the desktop core forwards to the server as the signed-in person and
 * passes the server's answers (errors included) through. Desktop transport only: a team server
 * answers these paths with 404. The desktop itself takes no money.
 */
import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import type { Balance } from './credits';
import { ORDER_POLL_MS } from './payments';
import { keys } from './queries';
import type { GatewayInfo, MembershipRequest, Order, OrderCreated, RechargeRequest } from './types';

export const REMOTE_PAY_PATHS = {
  credits: '/api/v1/remote/credits',
  gateways: '/api/v1/remote/payments/gateways',
  payments: '/api/v1/remote/payments',
  order: (id: string) => `/api/v1/remote/payments/${encodeURIComponent(id)}`,
} as const;

/** The team server's `/credit/balance` for the signed-in person (the desktop's own budget fields may be absent). */
export type RemoteBalance = Pick<Balance, 'available' | 'credit_balance' | 'is_member' | 'membership_type' | 'membership_end_date'> &
  Partial<Omit<Balance, 'available' | 'credit_balance' | 'is_member' | 'membership_type' | 'membership_end_date'>>;

/** The server's recharge or membership body, with what is bought (`kind`, recharge by default). */
export type RemoteBuyRequest = ({ kind: 'recharge' } & RechargeRequest) | ({ kind: 'membership' } & MembershipRequest);

export function getRemoteBalance(signal?: AbortSignal): Promise<RemoteBalance> {
  return request<RemoteBalance>('GET', REMOTE_PAY_PATHS.credits, undefined, signal);
}

export function getRemoteGateways(signal?: AbortSignal): Promise<GatewayInfo[]> {
  return request<GatewayInfo[]>('GET', REMOTE_PAY_PATHS.gateways, undefined, signal);
}

/**
 * An order on the team server (201 recharge, 202 membership). Its `payment_url` is absolute (on
 * the server): the system browser opens it. 422 `server_url`: not signed in; 502: unreachable.
 */
export function createRemoteOrder(body: RemoteBuyRequest): Promise<OrderCreated> {
  return request<OrderCreated>('POST', REMOTE_PAY_PATHS.payments, body);
}

/** The order as the team server has it now (the shape of `/payments/status/{id}`). */
export function getRemoteOrder(orderId: string, signal?: AbortSignal): Promise<Order> {
  return request<Order>('GET', REMOTE_PAY_PATHS.order(orderId), undefined, signal);
}

/* ---------- queries ---------- */

export const remoteBalanceOptions = () =>
  queryOptions({ queryKey: keys.remote.credits, queryFn: ({ signal }) => getRemoteBalance(signal), staleTime: 10_000 });

export const remoteGatewaysOptions = () =>
  queryOptions({ queryKey: keys.remote.gateways, queryFn: ({ signal }) => getRemoteGateways(signal), staleTime: 30_000 });

/** One read of an order on the team server, kept in the query cache. */
export const remoteOrderOptions = (orderId: string) =>
  queryOptions({ queryKey: keys.remote.order(orderId), queryFn: ({ signal }) => getRemoteOrder(orderId, signal), staleTime: 0 });

/** `enabled`: only on the desktop while it is signed in to a team server. */
export const useRemoteBalance = (enabled: boolean) => useQuery({ ...remoteBalanceOptions(), enabled });
export const useRemoteGateways = (enabled: boolean) => useQuery({ ...remoteGatewaysOptions(), enabled });

export interface RemoteOrderUpdate {
  order: Order | undefined;
  error: unknown;
}

/**
 * Follows an order on the team server: reads it now and every `intervalMs` (2 s) while it is
 * pending, telling `onUpdate` each answer; once it leaves `pending` the reads stop and the
 * balance there is read afresh. A failed read is told too; the reads go on when the order was
 * read before (a passing failure), and stop when it never was (watch again to retry). Plain
 * timers rather than `refetchInterval`: the payer is in the browser, so the reads go on while the
 * app is in the background. Returns the stop.
 */
export function watchRemoteOrder(
  queryClient: QueryClient,
  orderId: string,
  onUpdate: (u: RemoteOrderUpdate) => void,
  intervalMs: number = ORDER_POLL_MS,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seen: Order | undefined;
  const tick = async () => {
    try {
      const order = await queryClient.fetchQuery(remoteOrderOptions(orderId));
      if (stopped) return;
      seen = order;
      onUpdate({ order, error: null });
      if (order.status !== 'pending') {
        void queryClient.invalidateQueries({ queryKey: keys.remote.credits });
        return;
      }
    } catch (error) {
      if (stopped) return;
      onUpdate({ order: seen, error });
      if (!seen) return;
    }
    timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
