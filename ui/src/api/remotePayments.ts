/**
 * The desktop buys credits and memberships on the team server it is signed in to (issue 18):
 * `/api/v1/remote/...` on the desktop core forwards to the server as the signed-in person and
 * passes the server's answers (errors included) through. Desktop transport only: a team server
 * answers these paths with 404. The desktop itself takes no money.
 */
import { QueryObserver, queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import type { Balance } from './credits';
import { orderPollInterval } from './payments';
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

/** Re-read every 2 s while pending (also in the background: the payer is in the browser). */
export const remoteOrderOptions = (orderId: string) =>
  queryOptions({
    queryKey: keys.remote.order(orderId),
    queryFn: ({ signal }) => getRemoteOrder(orderId, signal),
    refetchInterval: (q) => (q.state.status === 'error' && q.state.data === undefined ? false : orderPollInterval(q.state.data)),
    refetchIntervalInBackground: true,
  });

/** `enabled`: only on the desktop while it is signed in to a team server. */
export const useRemoteBalance = (enabled: boolean) => useQuery({ ...remoteBalanceOptions(), enabled });
export const useRemoteGateways = (enabled: boolean) => useQuery({ ...remoteGatewaysOptions(), enabled });

export interface RemoteOrderUpdate {
  order: Order | undefined;
  error: unknown;
}

/**
 * Follows an order on the team server: polls it while pending (remoteOrderOptions) and tells
 * `onUpdate` each answer; once it leaves `pending` the polling stops and the balance there is
 * read afresh. Returns the unsubscribe.
 */
export function watchRemoteOrder(queryClient: QueryClient, orderId: string, onUpdate: (u: RemoteOrderUpdate) => void): () => void {
  const observer = new QueryObserver(queryClient, remoteOrderOptions(orderId));
  let settled = false;
  const seen = (r: { data: Order | undefined; error: unknown }) => {
    onUpdate({ order: r.data, error: r.error });
    if (!settled && r.data && r.data.status !== 'pending') {
      settled = true;
      void queryClient.invalidateQueries({ queryKey: keys.remote.credits });
    }
  };
  const unsubscribe = observer.subscribe(seen);
  return () => {
    unsubscribe();
    observer.destroy();
  };
}
