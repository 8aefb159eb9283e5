/**
 * Workspaces (accounts mode): the caller's workspaces, their members and invitations, and the
 * public invitation links. Every project belongs to one workspace; a request acts in the one the
 * `X-Workspace-Id` header names (the transport adds it, see lib/workspace.ts), or the caller's
 * personal workspace (whose id is the user's id) without it.
 */
import { request } from '../transport';
import { apiPath } from './paths';

export type WorkspaceRole = 'owner' | 'admin' | 'editor' | 'reviewer' | 'viewer';
export const WORKSPACE_ROLES: readonly WorkspaceRole[] = ['owner', 'admin', 'editor', 'reviewer', 'viewer'];
/** The roles a member can be given or invited with (there is one owner, the creator). */
export const ASSIGNABLE_ROLES: readonly WorkspaceRole[] = ['admin', 'editor', 'reviewer', 'viewer'];

export interface Workspace {
  id: string;
  name: string;
  /** The user's own workspace (id = user id): it can't be shared, renamed away or deleted. */
  personal: boolean;
  /** The caller's role in it. */
  role: WorkspaceRole;
  member_count: number;
  project_count: number;
  created_at: string;
  updated_at: string;
}

export interface Member {
  user_id: string;
  username: string;
  display_name: string | null;
  email: string | null;
  role: WorkspaceRole;
  joined_at: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  id: string;
  workspace_id: string;
  /** When set, only the account with this email can accept. */
  email: string | null;
  role: WorkspaceRole;
  invited_by: string;
  expires_at: string;
  status: InvitationStatus;
  created_at: string;
}

/** The answer of creating an invitation: `token` (the link's secret) is shown this once. */
export interface NewInvitation extends Invitation {
  token: string;
}

export interface InvitationInput {
  email?: string;
  role: WorkspaceRole;
}

/** What an invitation link offers (public: its holder may not have an account yet). */
export interface InvitationPreview {
  workspace_id: string;
  workspace_name: string;
  role: WorkspaceRole;
  email: string | null;
  invited_by: string;
  expires_at: string;
  status: InvitationStatus;
}

export const WORKSPACES_PATH = '/api/v1/workspaces';

export function listWorkspaces(signal?: AbortSignal): Promise<Workspace[]> {
  return request<Workspace[]>('GET', WORKSPACES_PATH, undefined, signal);
}

export function createWorkspace(name: string): Promise<Workspace> {
  return request<Workspace>('POST', WORKSPACES_PATH, { name });
}

export function getWorkspace(id: string, signal?: AbortSignal): Promise<Workspace> {
  return request<Workspace>('GET', apiPath('workspaces', id), undefined, signal);
}

export function renameWorkspace(id: string, name: string): Promise<Workspace> {
  return request<Workspace>('PATCH', apiPath('workspaces', id), { name });
}

export function deleteWorkspace(id: string): Promise<void> {
  return request<void>('DELETE', apiPath('workspaces', id));
}

export function listMembers(workspaceId: string, signal?: AbortSignal): Promise<Member[]> {
  return request<Member[]>('GET', apiPath('workspaces', workspaceId, 'members'), undefined, signal);
}

export function setMemberRole(workspaceId: string, userId: string, role: WorkspaceRole): Promise<Member> {
  return request<Member>('PATCH', apiPath('workspaces', workspaceId, 'members', userId), { role });
}

/** Removes a member; with one's own user id, leaves the workspace. */
export function removeMember(workspaceId: string, userId: string): Promise<void> {
  return request<void>('DELETE', apiPath('workspaces', workspaceId, 'members', userId));
}

export function listInvitations(workspaceId: string, signal?: AbortSignal): Promise<Invitation[]> {
  return request<Invitation[]>('GET', apiPath('workspaces', workspaceId, 'invitations'), undefined, signal);
}

/** A blank email is left out (anyone with the link can accept). */
export function createInvitation(workspaceId: string, input: InvitationInput): Promise<NewInvitation> {
  const email = input.email?.trim();
  const body: InvitationInput = email ? { email, role: input.role } : { role: input.role };
  return request<NewInvitation>('POST', apiPath('workspaces', workspaceId, 'invitations'), body);
}

export function revokeInvitation(workspaceId: string, invitationId: string): Promise<void> {
  return request<void>('DELETE', apiPath('workspaces', workspaceId, 'invitations', invitationId));
}

export function previewInvitation(token: string, signal?: AbortSignal): Promise<InvitationPreview> {
  return request<InvitationPreview>('GET', apiPath('invitations', token), undefined, signal);
}

/** Joins; answers the workspace with the caller's role in it. */
export function acceptInvitation(token: string): Promise<Workspace> {
  return request<Workspace>('POST', `${apiPath('invitations', token)}/accept`);
}

/** The link to send: `<origin>/#/invite/<token>` (the page's own origin and path). */
export function invitationLink(token: string, origin: string, pathname = '/'): string {
  const base = `${origin.replace(/\/+$/, '')}${pathname.startsWith('/') ? pathname : `/${pathname}`}`;
  return `${base}#/invite/${encodeURIComponent(token)}`;
}
