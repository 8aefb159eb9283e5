/**
 * The desktop's link to a team server (issue 7): `/api/v1/remote/...` on the desktop core, which
 * signs in to the server, keeps the refresh token in the OS keyring (or its encrypted file) and
 * reports the connection. The page never sees a token. Desktop transport only: in the browser the
 * page *is* the team server's web UI, and a server answers these paths with 404.
 */
import { request } from '../transport';

export type ConnectionState = 'signed_out' | 'connected' | 'unreachable' | 'session_expired';

export interface ConnectionStatus {
  state: ConnectionState;
  server_url: string | null;
  username: string | null;
  /** RFC 3339; null when the server was not reached or tried since the app started. */
  checked_at: string | null;
  secret_storage: 'keyring' | 'encrypted_file';
  secret_storage_location: string;
  /** Why the encrypted file is used instead of the OS keyring, when it is. */
  secret_storage_notice: string | null;
  message: string;
}

export interface SignInInput {
  server_url: string;
  username: string;
  password: string;
}

export const REMOTE_PATHS = {
  connection: '/api/v1/remote/connection',
  signIn: '/api/v1/remote/sign-in',
  check: '/api/v1/remote/check',
  signOut: '/api/v1/remote/sign-out',
} as const;

/** The connection as last known; never waits on the server. */
export function getConnection(signal?: AbortSignal): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('GET', REMOTE_PATHS.connection, undefined, signal);
}

/** 401 AUTH_INVALID: wrong username or password; 422 names `server_url`/`username`/`password`; 502: unreachable. */
export function signIn(input: SignInInput): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.signIn, input);
}

/** Asks the server now (refreshing the session once when needed). */
export function checkConnection(): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.check, {});
}

/** Signs out on this computer; the server is told when it can be reached. */
export function signOut(): Promise<ConnectionStatus> {
  return request<ConnectionStatus>('POST', REMOTE_PATHS.signOut, {});
}
