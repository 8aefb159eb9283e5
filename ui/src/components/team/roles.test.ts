import { describe, expect, it } from 'vitest';
import { canEdit, canLeave, canManage } from './roles';

describe('what each role may do in the UI', () => {
  it('offers editing to owners, admins and editors only', () => {
    expect(['owner', 'admin', 'editor', 'reviewer', 'viewer'].map((r) => canEdit(r as never))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
  it('keeps managing to owners and admins, and lets everyone but the owner leave', () => {
    expect(canManage('editor')).toBe(false);
    expect(canManage('admin')).toBe(true);
    expect(canLeave('owner')).toBe(false);
    expect(canLeave('viewer')).toBe(true);
  });
});
