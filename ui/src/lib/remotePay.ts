/**
 * The desktop's purchases on its team server (issue 18): when the panel shows, how an order made
 * there is paid, where a refusal's message goes, and the Pay flow (make the order there, open
 * its page in the system browser).
 */
import { createRemoteOrder, type RemoteBuyRequest } from '../api/remotePayments';
import type { ConnectionStatus } from '../api/remote';
import type { Order } from '../api/types';
import { t } from '../i18n';
import { ApiError, errorMessage, fieldErrorMessage, type TransportKind } from '../transport';
import { openExternal } from './openExternal';
import { summaryOfCreated, type OrderSummary } from './payments';

/**
 * What the Credits page shows of the team server: nothing off the desktop (the web page *is* a
 * server) or while the status is unknown or the server unreachable; a one-line hint to sign in
 * when signed out (or the session ended); the panel when connected.
 */
export type RemotePanelMode = 'hidden' | 'not-linked' | 'linked';

export function remotePanelMode(kind: TransportKind, status: ConnectionStatus | null): RemotePanelMode {
  if (kind !== 'desktop' || !status) return 'hidden';
  switch (status.state) {
    case 'connected':
      return 'linked';
    case 'signed_out':
    case 'session_expired':
      return 'not-linked';
    default:
      return 'hidden';
  }
}

/** How an order made on the team server is paid from the desktop. */
export type RemotePayStep =
  /** The server's page (Alipay, Stripe, the server's sandbox page), in the system browser. */
  | { kind: 'open'; url: string }
  /** WeChat Pay's `weixin://` code, shown as a QR code to scan. */
  | { kind: 'qr'; code: string }
  | { kind: 'none' };

export function remotePayStep(order: Pick<Order, 'gateway' | 'payment_url'>): RemotePayStep {
  const url = order.payment_url ?? '';
  if (isWebUrl(url)) return { kind: 'open', url };
  if (order.gateway === 'wechat' && url) return { kind: 'qr', code: url };
  return { kind: 'none' };
}

function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The fields of the buy forms a refusal can name. */
export type RemoteBuyField = 'amount_cents' | 'coupon_code' | 'payment_method' | 'membership_type';

export interface RemoteProblem {
  /** The field the message goes under; null: the panel as a whole. */
  field: RemoteBuyField | null;
  message: string;
  /** Not signed in to a team server (422 `server_url`): the message links to the Connection page. */
  signIn: boolean;
}

/** Where a failed read or order's message goes, and what it says. */
export function remoteProblem(e: unknown): RemoteProblem {
  if (e instanceof ApiError) {
    if (e.status === 422 && e.field === 'server_url') return { field: null, message: t('remotePay.signInFirst'), signIn: true };
    if (e.status === 502) return { field: null, message: t('remotePay.unreachable'), signIn: false };
    if (e.isValidation && e.field) {
      const field = e.field === 'amount' ? 'amount_cents' : e.field;
      if (field === 'amount_cents' || field === 'coupon_code' || field === 'payment_method' || field === 'membership_type') {
        return { field, message: fieldErrorMessage(e), signIn: false };
      }
    }
  }
  return { field: null, message: errorMessage(e), signIn: false };
}

/**
 * Pay: makes the order on the team server, then opens its page in the system browser (when it
 * has a web page; WeChat's code is shown in the dialog instead). Resolves with the order.
 */
export async function payOnTeamServer(body: RemoteBuyRequest, open: (url: string) => Promise<void> = openExternal): Promise<OrderSummary> {
  const created = await createRemoteOrder(body);
  const order = summaryOfCreated(created, body.kind, body.kind === 'membership' ? body.membership_type : 'credits');
  const step = remotePayStep(order);
  if (step.kind === 'open') {
    // The order exists either way: a browser that fails to open is not a failed purchase (the
    // dialog offers the page again).
    await open(step.url).catch(() => undefined);
  }
  return order;
}
