/** What each workspace role may do, as the UI shows it (the server decides; it answers 403 otherwise). */
import { ASSIGNABLE_ROLES, type Member, type WorkspaceRole } from '../../api/workspaces';
import { t } from '../../i18n';

/** What a role may do, in the active language ("read only", "只读"). */
export function roleHelp(role: WorkspaceRole): string {
  return t(`roleHelp.${role}`);
}

/** A role's name in the active language ("reviewer", "审阅者"). */
export function roleName(role: WorkspaceRole): string {
  return t(`roles.${role}`);
}

/** Owner and admin manage members, invitations and billing, and rename the workspace. */
export function canManage(role: WorkspaceRole): boolean {
  return role === 'owner' || role === 'admin';
}

/** The roles `actor` can hand out: only the owner grants admin; nobody grants owner. */
export function grantableRoles(actor: WorkspaceRole): WorkspaceRole[] {
  if (!canManage(actor)) return [];
  return ASSIGNABLE_ROLES.filter((r) => r !== 'admin' || actor === 'owner');
}

/**
 * Whether `actor` (whose user id is `meId`) can change `target`'s role or remove them: managers
 * only, never the owner, never oneself (leaving is its own action), and an admin only by the owner.
 */
export function canEditMember(actor: WorkspaceRole, meId: string, target: Member): boolean {
  if (!canManage(actor)) return false;
  if (target.role === 'owner' || target.user_id === meId) return false;
  if (target.role === 'admin' && actor !== 'owner') return false;
  return true;
}

/** Everyone but the owner can leave. */
export function canLeave(role: WorkspaceRole): boolean {
  return role !== 'owner';
}

/** Owner, admin and editor edit scripts, storyboards and runs; reviewers and viewers don't. */
export function canEdit(role: WorkspaceRole): boolean {
  return role === 'owner' || role === 'admin' || role === 'editor';
}
