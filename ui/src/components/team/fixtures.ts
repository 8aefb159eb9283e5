import type { Invitation, InvitationPreview, Member, Workspace } from '../../api/workspaces';

export const OWNER_ID = '11111111-1111-4111-8111-111111111111';
export const ADMIN_ID = '22222222-2222-4222-8222-222222222222';
export const REVIEWER_ID = '33333333-3333-4333-8333-333333333333';
export const TEAM_ID = '44444444-4444-4444-8444-444444444444';

export function workspace(over: Partial<Workspace> = {}): Workspace {
  return {
    id: TEAM_ID,
    name: 'Studio North',
    personal: false,
    role: 'owner',
    member_count: 3,
    project_count: 2,
    created_at: '2026-02-01T10:00:00Z',
    updated_at: '2026-02-01T10:00:00Z',
    ...over,
  };
}

export const members: Member[] = [
  { user_id: OWNER_ID, username: 'olga', display_name: null, email: 'olga@example.com', role: 'owner', joined_at: '2026-02-01T10:00:00Z' },
  { user_id: ADMIN_ID, username: 'adam', display_name: 'Adam A.', email: null, role: 'admin', joined_at: '2026-02-02T10:00:00Z' },
  { user_id: REVIEWER_ID, username: 'rita', display_name: null, email: 'rita@example.com', role: 'reviewer', joined_at: '2026-02-03T10:00:00Z' },
];

export function invitation(over: Partial<Invitation> = {}): Invitation {
  return {
    id: 'inv-1',
    workspace_id: TEAM_ID,
    email: null,
    role: 'reviewer',
    invited_by: 'olga',
    expires_at: '2026-02-08T10:00:00Z',
    status: 'pending',
    created_at: '2026-02-01T10:00:00Z',
    ...over,
  };
}

export function preview(over: Partial<InvitationPreview> = {}): InvitationPreview {
  return {
    workspace_id: TEAM_ID,
    workspace_name: 'Studio North',
    role: 'reviewer',
    email: null,
    invited_by: 'olga',
    expires_at: '2026-02-08T10:00:00Z',
    status: 'pending',
    ...over,
  };
}
