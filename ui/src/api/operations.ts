/**
 * Operations (team server, accounts mode): coupons and one's coupon wallet, referral links and
 * their rewards, activities (campaigns) one joins, and the instance admin's views: every coupon
 * and activity, every order of the server, and the statistics. The calls, then their TanStack
 * Query hooks (keys under `keys.operations`).
 *
 * The types are the generated schemas of `openapi.json`, narrowed where the UI relies on a union
 * the document only types as a string (statuses).
 */
import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { request } from '../transport';
import { apiPath, query } from './paths';
import { keys } from './queries';
import type { components } from './schema.gen';
import type { Coupon, CouponClaimStatus, CouponKind, Gateway, MyCoupon, NewCoupon, OrderStatus, Page } from './types';

type Schemas = components['schemas'];

export type { Coupon, CouponClaimStatus, CouponKind, MyCoupon, NewCoupon };

/* ---------- referrals ---------- */

/** `POST /operation/referral/generate`: one's code and the sign-up link that carries it. */
export type ReferralLink = Schemas['ReferralLink'];

export type ReferralStatus = 'pending' | 'completed';

/** Someone who signed up with one's code, and what it earned. */
export type ReferralRecord = Omit<Schemas['ReferralRecord'], 'status'> & { status: ReferralStatus };

export type ReferralRecords = Omit<Schemas['ReferralRecords'], 'items'> & { items: ReferralRecord[] };

/* ---------- activities ---------- */

export type ActivityType = Schemas['ActivityKind'];
export const ACTIVITY_TYPES = ['credit_gift', 'membership_discount', 'referral_bonus', 'first_purchase'] as const satisfies readonly ActivityType[];

/** The types whose config is credits (the others take a percent, 1–99). */
export const CREDIT_ACTIVITY_TYPES: readonly ActivityType[] = ['credit_gift', 'referral_bonus'];

export type ActivityStatus = 'scheduled' | 'active' | 'ended' | 'disabled';

export type ActivityConfig = Schemas['ActivityConfig'];

export type Activity = Omit<Schemas['Activity'], 'status'> & { status: ActivityStatus };

/** `POST /operation/activities` (instance admins). */
export interface NewActivity {
  name: string;
  type: ActivityType;
  description: string;
  config: ActivityConfig;
  /** RFC 3339. */
  start_time: string;
  end_time: string;
}

/** `POST /operation/activities/{id}/participate`. */
/** `POST /operation/activities/{id}/participate`. */
export type Participation = Schemas['Joined'];

/* ---------- the admin's orders and statistics ---------- */

/** An order of anyone on the server, with who made it. */
export type AdminOrder = Schemas['AdminOrder'];

export interface AdminOrdersQuery {
  status?: OrderStatus | undefined;
  gateway?: Gateway | undefined;
  page: number;
  limit: number;
}

/** `YYYY-MM-DD` both; absent: the last 30 days. */
export interface StatsQuery {
  start_date?: string | undefined;
  end_date?: string | undefined;
}

export type OperationStats = Schemas['Statistics'];

/* ---------- calls ---------- */

export const OPERATION_PATHS = {
  coupons: '/api/v1/operation/coupons',
  myCoupons: '/api/v1/operation/my-coupons',
  referralGenerate: '/api/v1/operation/referral/generate',
  referralRecords: '/api/v1/operation/referral/records',
  activities: '/api/v1/operation/activities',
  statistics: '/api/v1/operation/statistics',
  adminOrders: '/api/v1/admin/payments/orders',
} as const;

export interface PageQuery {
  page: number;
  limit: number;
}

/** `active`: the coupons one can claim now; `all`: every coupon (instance admins). */
export interface CouponsQuery extends PageQuery {
  status: 'active' | 'all';
}

/** `active`: the activities running now; `all`: every one (instance admins). */
export interface ActivitiesQuery extends PageQuery {
  status: 'active' | 'all';
}

export function listMyCoupons(status: CouponClaimStatus | undefined, signal?: AbortSignal): Promise<MyCoupon[]> {
  return request<MyCoupon[]>('GET', `${OPERATION_PATHS.myCoupons}${query({ status })}`, undefined, signal);
}

export function listCoupons(q: CouponsQuery, signal?: AbortSignal): Promise<Page<Coupon>> {
  return request<Page<Coupon>>('GET', `${OPERATION_PATHS.coupons}${query({ status: q.status, page: q.page, limit: q.limit })}`, undefined, signal);
}

/** Puts a coupon in one's wallet (409: used up, or already claimed). */
export function claimCoupon(couponId: string): Promise<MyCoupon> {
  return request<MyCoupon>('POST', `${apiPath('operation', 'coupons', couponId)}/claim`);
}

/** A new coupon (instance admins; 409: the code exists). */
export function createCoupon(body: NewCoupon): Promise<Coupon> {
  return request<Coupon>('POST', OPERATION_PATHS.coupons, body);
}

/** One's referral code and link (the same code again once made). */
export function generateReferral(): Promise<ReferralLink> {
  return request<ReferralLink>('POST', OPERATION_PATHS.referralGenerate);
}

export function listReferralRecords(q: PageQuery, signal?: AbortSignal): Promise<ReferralRecords> {
  return request<ReferralRecords>('GET', `${OPERATION_PATHS.referralRecords}${query({ page: q.page, limit: q.limit })}`, undefined, signal);
}

export function listActivities(q: ActivitiesQuery, signal?: AbortSignal): Promise<Page<Activity>> {
  return request<Page<Activity>>('GET', `${OPERATION_PATHS.activities}${query({ status: q.status, page: q.page, limit: q.limit })}`, undefined, signal);
}

/** Joins an activity (409: joined already; 422 naming `activity`: not running). */
export function participate(activityId: string): Promise<Participation> {
  return request<Participation>('POST', `${apiPath('operation', 'activities', activityId)}/participate`);
}

/** A new activity (instance admins). */
export function createActivity(body: NewActivity): Promise<Activity> {
  return request<Activity>('POST', OPERATION_PATHS.activities, body);
}

/** Every order of the server, newest first (instance admins). */
export function listAdminOrders(q: AdminOrdersQuery, signal?: AbortSignal): Promise<Page<AdminOrder>> {
  const qs = query({ status: q.status, gateway: q.gateway, page: q.page, limit: q.limit });
  return request<Page<AdminOrder>>('GET', `${OPERATION_PATHS.adminOrders}${qs}`, undefined, signal);
}

export function getStatistics(q: StatsQuery, signal?: AbortSignal): Promise<OperationStats> {
  return request<OperationStats>('GET', `${OPERATION_PATHS.statistics}${query({ start_date: q.start_date, end_date: q.end_date })}`, undefined, signal);
}

/* ---------- flows: a change, then what it makes stale read afresh ---------- */

/** Claims a coupon, then the coupon lists and the wallet read afresh. */
export async function claimAndRefresh(queryClient: QueryClient, couponId: string): Promise<MyCoupon> {
  const claimed = await claimCoupon(couponId);
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: keys.operations.myCouponsAll }),
    queryClient.invalidateQueries({ queryKey: keys.operations.couponsAll }),
  ]);
  return claimed;
}

/** Joins an activity, then the activities and the balance (credits granted) read afresh. */
export async function joinAndRefresh(queryClient: QueryClient, activityId: string): Promise<Participation> {
  const joined = await participate(activityId);
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: keys.operations.activitiesAll }),
    queryClient.invalidateQueries({ queryKey: keys.credits.all }),
    queryClient.invalidateQueries({ queryKey: keys.account.me }),
  ]);
  return joined;
}

/* ---------- queries ---------- */

export const useMyCoupons = (status: CouponClaimStatus | undefined, enabled = true) =>
  useQuery({ queryKey: keys.operations.myCoupons(status), queryFn: ({ signal }) => listMyCoupons(status, signal), enabled });

export const useCoupons = (q: CouponsQuery, enabled = true) =>
  useQuery({ queryKey: keys.operations.coupons(q), queryFn: ({ signal }) => listCoupons(q, signal), placeholderData: keepPreviousData, enabled });

export const useReferralRecords = (q: PageQuery) =>
  useQuery({ queryKey: keys.operations.referrals(q), queryFn: ({ signal }) => listReferralRecords(q, signal), placeholderData: keepPreviousData });

export const useActivities = (q: ActivitiesQuery, enabled = true) =>
  useQuery({ queryKey: keys.operations.activities(q), queryFn: ({ signal }) => listActivities(q, signal), placeholderData: keepPreviousData, enabled });

export const useAdminOrders = (q: AdminOrdersQuery, enabled = true) =>
  useQuery({ queryKey: keys.operations.adminOrders(q), queryFn: ({ signal }) => listAdminOrders(q, signal), placeholderData: keepPreviousData, enabled });

export const useStatistics = (q: StatsQuery, enabled = true) =>
  useQuery({ queryKey: keys.operations.statistics(q), queryFn: ({ signal }) => getStatistics(q, signal), placeholderData: keepPreviousData, enabled });
