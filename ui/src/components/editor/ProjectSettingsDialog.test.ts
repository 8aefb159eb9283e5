import { describe, expect, it } from 'vitest';
import type { Project } from '../../api/types';
import { projectSettingsPatch } from './ProjectSettingsDialog';

const project: Project = {
  id: 'p1',
  workspace_id: 'w1',
  name: 'Midnight',
  description: '',
  aspect_ratio: '9:16',
  style: null,
  status: 'draft',
  script: null,
  cost_cap: 200,
  created_at: '2026-12-06T03:00:00Z',
  updated_at: '2026-12-06T03:00:00Z',
};

describe('project settings', () => {
  it('sends only what changed; an empty cap clears it (null)', () => {
    expect(projectSettingsPatch({ name: 'Midnight', aspect_ratio: '9:16', cost_cap: '200' }, project)).toEqual({ ok: true, patch: {} });
    expect(projectSettingsPatch({ name: ' Dawn ', aspect_ratio: '16:9', cost_cap: '' }, project)).toEqual({
      ok: true,
      patch: { name: 'Dawn', aspect_ratio: '16:9', cost_cap: null },
    });
    expect(projectSettingsPatch({ name: 'Midnight', aspect_ratio: '9:16', cost_cap: '1,000' }, { ...project, cost_cap: null })).toEqual({
      ok: true,
      patch: { cost_cap: 1000 },
    });
    // A server without caps (no field) and an empty field: nothing to send.
    const { cost_cap: _ignored, ...old } = project;
    expect(projectSettingsPatch({ name: 'Midnight', aspect_ratio: '9:16', cost_cap: '' }, old)).toEqual({ ok: true, patch: {} });
  });

  it('refuses an empty name and a cap that is not whole credits', () => {
    const res = projectSettingsPatch({ name: ' ', aspect_ratio: '9:16', cost_cap: '12.5' }, project);
    expect(res.ok).toBe(false);
    expect(!res.ok && Object.keys(res.errors)).toEqual(['name', 'cost_cap']);
  });
});
