/**
 * Accounts (team server, `storyloom serve --auth accounts`): sign-up/in, token refresh, sign-out,
 * the profile and password, the user's API keys, the admin's user list, and users by id (read,
 * change, delete: the instance admin, or the person themself). Every call goes through the
 * page's transport, so the session's bearer token (lib/session.ts) is attached.
 */
import { request } from '../transport';
import { apiPath, query } from './paths';
import type { components } from './schema.gen';
import type { Page } from './types';

export type UserStatus = 'active' | 'inactive' | 'suspended';
export const USER_STATUSES: readonly UserStatus[] = ['active', 'inactive', 'suspended'];

export interface User {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  /** `user` or `admin`. */
  role: string;
  is_admin: boolean;
  status: UserStatus;
  created_at: string;
  updated_at?: string;
  /*
   * Hand-written until the regenerated openapi.json has them (the operations API). Optional: a
   * server from before it sends none of them.
   */
  /** Spendable credits of the personal workspace. */
  credit_balance?: number;
  is_member?: boolean;
  /** `monthly`, `quarterly`, `yearly`; null when not a member. */
  membership_type?: string | null;
  /** RFC 3339; null when not a member. */
  membership_end_date?: string | null;
  /** One's referral code once made (Credits → Invite friends); null before. */
  referral_code?: string | null;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  /** Seconds the access token lives. */
  expires_in: number;
}

/** The answer of register, login and refresh. */
export interface SessionResponse extends Tokens {
  user: User;
  tokens: Tokens;
}

export interface Registration {
  username: string;
  email?: string;
  password: string;
  confirm_password?: string;
  /** Someone's referral code (`#/sign-up?ref=CODE`); 422 naming `referral_code` when unknown. */
  referral_code?: string;
}

/** `login` is a username or an email; it is sent as the one or the other. */
export interface LoginInput {
  login: string;
  password: string;
}

export interface ProfilePatch {
  username?: string;
  email?: string;
  display_name?: string;
}

/** An instance role: `admin` administers the instance, `user` is everyone else. */
export type UserRole = 'user' | 'admin';

/**
 * `PATCH /users/{id}`: the person themself changes their profile and password (which needs
 * `current_password`); only the instance admin changes `role`, never their own, and resets
 * someone else's password without the current one. A new password ends every session of that
 * person. The generated schema, with `role` narrowed to the two roles there are.
 */
export type UserPatch = Omit<components['schemas']['UserPatch'], 'role'> & { role?: UserRole | null };

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

export type KeyScope = 'read' | 'write' | 'billing' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['read', 'write', 'billing', 'admin'];

export type KeyStatus = 'active' | 'expired' | 'revoked';

/** What a key may do through the model router (`/v1`), set when it is made. */
export interface KeyLimits {
  /** The public model names it may call; null = every model. */
  allowed_models: string[] | null;
  /** Its router calls an hour; null = the server's limit. */
  router_per_hour: number | null;
  /** The most credits its router calls may spend in all; null = no budget. */
  credit_budget: number | null;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it. */
  prefix: string;
  scopes: KeyScope[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  status: KeyStatus;
  limits: KeyLimits;
}

export interface ApiKeyList {
  items: ApiKey[];
  total: number;
}

export interface NewApiKey {
  name: string;
  scopes: KeyScope[];
  /** RFC 3339, in the future; omitted = never expires. */
  expires_at?: string;
  /** Public model names of the router; omitted = every model. */
  allowed_models?: string[];
  /** 1–1,000,000; omitted = the server's limit. */
  rate_limit_per_hour?: number;
  /** Credits ≥ 0; omitted = no budget. */
  credit_budget?: number;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: KeyScope[];
  expires_at: string | null;
  /** The secret: shown this once, the server keeps only its hash. */
  key: string;
  limits: KeyLimits;
}

export interface UsersQuery {
  status?: UserStatus | 'all';
  page?: number;
  limit?: number;
}

export const AUTH_PATHS = {
  register: '/api/v1/auth/register',
  login: '/api/v1/auth/login',
  refresh: '/api/v1/auth/refresh',
  logout: '/api/v1/auth/logout',
  me: '/api/v1/auth/me',
  password: '/api/v1/auth/password',
  apiKeys: '/api/v1/users/me/api-keys',
  adminUsers: '/api/v1/admin/users',
} as const;

/** The login body: an input with an `@` is an email, anything else a username. */
export function loginBody(input: LoginInput): { username?: string; email?: string; password: string } {
  const who = input.login.trim();
  return who.includes('@') ? { email: who, password: input.password } : { username: who, password: input.password };
}

export function register(input: Registration): Promise<SessionResponse> {
  return request<SessionResponse>('POST', AUTH_PATHS.register, input);
}

export function login(input: LoginInput): Promise<SessionResponse> {
  return request<SessionResponse>('POST', AUTH_PATHS.login, loginBody(input));
}

export function refresh(refreshToken: string): Promise<SessionResponse> {
  return request<SessionResponse>('POST', AUTH_PATHS.refresh, { refresh_token: refreshToken });
}

export function logout(refreshToken: string): Promise<void> {
  return request<void>('POST', AUTH_PATHS.logout, { refresh_token: refreshToken });
}

export function getMe(signal?: AbortSignal): Promise<User> {
  return request<User>('GET', AUTH_PATHS.me, undefined, signal);
}

export function updateMe(patch: ProfilePatch): Promise<User> {
  return request<User>('PATCH', AUTH_PATHS.me, patch);
}

export function changePassword(input: PasswordChange): Promise<void> {
  return request<void>('POST', AUTH_PATHS.password, input);
}

export function listApiKeys(signal?: AbortSignal): Promise<ApiKeyList> {
  return request<ApiKeyList>('GET', AUTH_PATHS.apiKeys, undefined, signal);
}

export function createApiKey(input: NewApiKey): Promise<CreatedApiKey> {
  return request<CreatedApiKey>('POST', AUTH_PATHS.apiKeys, input);
}

export function revokeApiKey(id: string): Promise<void> {
  return request<void>('DELETE', apiPath('users', 'me', 'api-keys', id));
}

/** `/api/v1/admin/users?…`: page ≥ 1, 1 ≤ limit ≤ 100, no status for "all". */
export function adminUsersPath(q: UsersQuery = {}): string {
  const page = Math.max(1, Math.floor(q.page ?? 1));
  const limit = Math.min(100, Math.max(1, Math.floor(q.limit ?? 20)));
  return `${AUTH_PATHS.adminUsers}${query({ status: q.status === 'all' ? undefined : q.status, page, limit })}`;
}

export function listUsers(q: UsersQuery = {}, signal?: AbortSignal): Promise<Page<User>> {
  return request<Page<User>>('GET', adminUsersPath(q), undefined, signal);
}

/** `GET /users/{id}`: the instance admin, or the person themself (anyone else gets 403). */
export function getUser(id: string, signal?: AbortSignal): Promise<User> {
  return request<User>('GET', apiPath('users', id), undefined, signal);
}

export function updateUser(id: string, patch: UserPatch): Promise<User> {
  return request<User>('PATCH', apiPath('users', id), patch);
}

/**
 * `DELETE /users/{id}` (204), by the instance admin or the person themself: the account can no
 * longer sign in (its sessions and API keys stop), it leaves its team workspaces, its username and
 * email are free again; its history is kept. 409 for the instance's last admin, and for the owner
 * of a team workspace with other members (the detail names the workspace).
 */
export function deleteUser(id: string): Promise<void> {
  return request<void>('DELETE', apiPath('users', id));
}

export function setUserStatus(id: string, status: UserStatus): Promise<User> {
  return request<User>('PUT', `${apiPath('admin', 'users', id)}/status`, { status });
}
