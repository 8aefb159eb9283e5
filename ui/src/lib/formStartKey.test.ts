import { describe, expect, it } from 'vitest';
import { isFormStartKey, type ShortcutEventLike } from './keyboard';

const el = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, ...extra }) as unknown as EventTarget;

const enter = (target: EventTarget | null, mods: Partial<ShortcutEventLike> & { isComposing?: boolean } = {}) => ({
  key: 'Enter',
  target,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('isFormStartKey (Enter in the export form starts the export)', () => {
  it('starts from selects, radios, checkboxes and text fields', () => {
    expect(isFormStartKey(enter(el('SELECT')))).toBe(true);
    expect(isFormStartKey(enter(el('INPUT', { type: 'radio' })))).toBe(true);
    expect(isFormStartKey(enter(el('INPUT', { type: 'checkbox' })))).toBe(true);
    expect(isFormStartKey(enter(el('INPUT', { type: 'text' })))).toBe(true);
    expect(isFormStartKey(enter(el('INPUT')))).toBe(true);
    expect(isFormStartKey(enter(el('FIELDSET')))).toBe(true);
    expect(isFormStartKey(enter(el('SELECT'), { ctrlKey: true }))).toBe(true);
  });

  it('leaves buttons, links and textareas to do their own thing', () => {
    expect(isFormStartKey(enter(el('BUTTON')))).toBe(false);
    expect(isFormStartKey(enter(el('A')))).toBe(false);
    expect(isFormStartKey(enter(el('TEXTAREA')))).toBe(false);
    expect(isFormStartKey(enter(el('INPUT', { type: 'submit' })))).toBe(false);
    expect(isFormStartKey(enter(el('INPUT', { type: 'file' })))).toBe(false);
    expect(isFormStartKey(enter(el('DIV', { isContentEditable: true })))).toBe(false);
  });

  it('ignores other keys, repeats, IME composition, handled events and Shift/Alt', () => {
    expect(isFormStartKey({ ...enter(el('SELECT')), key: ' ' })).toBe(false);
    expect(isFormStartKey(enter(el('SELECT'), { repeat: true }))).toBe(false);
    expect(isFormStartKey(enter(el('INPUT'), { isComposing: true }))).toBe(false);
    expect(isFormStartKey(enter(el('SELECT'), { defaultPrevented: true }))).toBe(false);
    expect(isFormStartKey(enter(el('SELECT'), { shiftKey: true }))).toBe(false);
    expect(isFormStartKey(enter(el('SELECT'), { altKey: true }))).toBe(false);
  });
});
