import { describe, expect, it } from 'vitest';
import openapi from '../../openapi.json?raw';
import { EXPORT_STATUSES, RUN_STATUSES, STEP_STATUSES } from '../api/types';
import { canBecome, EXPORT_TRANSITIONS, RUN_TRANSITIONS, SHOT_TRANSITIONS, STEP_TRANSITIONS, type Transitions } from './states';

interface StatusSchema {
  enum: string[];
  'x-transitions': Record<string, string[]>;
}

const schemas = (JSON.parse(openapi) as { components: { schemas: Record<string, StatusSchema> } }).components.schemas;

const sorted = (t: Transitions<string>) =>
  Object.fromEntries(Object.entries(t).map(([from, to]) => [from, [...to].sort()]));

describe("the UI's status tables are the server's", () => {
  it.each([
    ['RunStatus', RUN_TRANSITIONS],
    ['NodeRunStatus', STEP_TRANSITIONS],
    ['ExportStatus', EXPORT_TRANSITIONS],
    ['ShotStatus', SHOT_TRANSITIONS],
  ] as const)('%s', (name, table) => {
    const schema = schemas[name];
    expect(Object.keys(table).sort()).toEqual([...schema.enum].sort());
    expect(sorted(table)).toEqual(sorted(schema['x-transitions']));
  });

  it('lists every value of the document', () => {
    expect([...RUN_STATUSES]).toEqual(schemas.RunStatus.enum);
    expect([...STEP_STATUSES]).toEqual(schemas.NodeRunStatus.enum);
    expect([...EXPORT_STATUSES]).toEqual(schemas.ExportStatus.enum);
  });

  it('answers an unknown state with no move', () => {
    expect(canBecome(RUN_TRANSITIONS, 'paused', 'running')).toBe(true);
    expect(canBecome(RUN_TRANSITIONS, 'completed', 'running')).toBe(false);
    expect(canBecome(RUN_TRANSITIONS, 'bogus', 'running')).toBe(false);
  });
});
