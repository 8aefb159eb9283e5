/** Credits and billing (docs/API-LEDGER.md): balance, holds, transactions, dashboard, estimates. */
import { request } from '../transport';
import { apiPath, query } from './paths';
import type { HoldStatus, Page } from './types';

export interface Balance {
  owner_id: string;
  credit_balance: number;
  available: number;
  held: number;
  is_member: boolean;
  membership_type: string | null;
  membership_end_date: string | null;
  subscription_tier: string;
  /** Desktop: the balance is a budget the user sets. */
  budget_mode: boolean;
}

export interface Hold {
  id: string;
  estimate: number;
  amount: number;
  purpose: 'node_run' | 'export' | 'job' | string;
  work_id: string;
  description: string;
  meta: Record<string, unknown>;
  waived: string | null;
  status: HoldStatus;
  actual: number | null;
  charged: number | null;
  reason: string | null;
  expires_at: string;
  created_at: string;
  resolved_at: string | null;
}

export interface Transaction {
  id: string;
  type: string;
  /** Signed change to the spendable balance. */
  amount: number;
  held_change: number;
  credits: number;
  balance_after: number;
  description: string;
  hold_id: string | null;
  purpose: string | null;
  work_id: string | null;
  created_at: string;
}

export interface UsageDay {
  date: string;
  credits: number;
  count: number;
}

export interface Dashboard {
  credits: number;
  held: number;
  total_used: number;
  cost_per_summary: number;
  usage_history: UsageDay[];
  is_admin: boolean;
  is_member: boolean;
  pending_holds: number;
  budget_mode: boolean;
}

export interface RunEstimate {
  template_id: string;
  template_version_id: string;
  estimated_cost: number;
  nodes: { node_id: string; kind: string; estimate: number }[];
  available: number;
  held: number;
  is_member: boolean;
  sufficient: boolean;
}

export interface TransactionQuery {
  page?: number;
  limit?: number;
  type?: string;
  start_date?: string;
  end_date?: string;
}

export function getBalance(signal?: AbortSignal): Promise<Balance> {
  return request<Balance>('GET', '/api/v1/billing/balance', undefined, signal);
}

export function getDashboard(days: number, signal?: AbortSignal): Promise<Dashboard> {
  return request<Dashboard>('GET', `/api/v1/dashboard${query({ days })}`, undefined, signal);
}

export function listTransactions(q: TransactionQuery, signal?: AbortSignal): Promise<Page<Transaction>> {
  return request<Page<Transaction>>('GET', `/api/v1/billing/transactions${query({ ...q })}`, undefined, signal);
}

export function listHolds(status: HoldStatus | undefined, signal?: AbortSignal): Promise<Page<Hold>> {
  return request<Page<Hold>>('GET', `/api/v1/billing/holds${query({ status, limit: 100 })}`, undefined, signal);
}

/** Desktop only (403 on a server). */
export function setBudget(credits: number): Promise<Balance> {
  return request<Balance>('PUT', '/api/v1/billing/budget', { credits });
}

export function estimateRun(input: { project_id?: string; template_id: string }, signal?: AbortSignal): Promise<RunEstimate> {
  return request<RunEstimate>('POST', '/api/v1/workflow-runs/estimate', input, signal);
}

export function getHold(id: string, signal?: AbortSignal): Promise<Hold> {
  return request<Hold>('GET', apiPath('billing', 'holds', id), undefined, signal);
}
