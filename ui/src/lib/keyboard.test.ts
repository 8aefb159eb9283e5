import { describe, expect, it } from 'vitest';
import { isNewProjectShortcut, isTypingTarget, type ShortcutEventLike } from './keyboard';

const el = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, ...extra }) as unknown as EventTarget;

const key = (k: string, target: EventTarget | null = el('BODY'), mods: Partial<ShortcutEventLike> = {}): ShortcutEventLike => ({
  key: k,
  target,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('isTypingTarget', () => {
  it('is true for text fields and editable content', () => {
    expect(isTypingTarget(el('INPUT', { type: 'text' }))).toBe(true);
    expect(isTypingTarget(el('INPUT', { type: 'search' }))).toBe(true);
    expect(isTypingTarget(el('INPUT', {}))).toBe(true);
    expect(isTypingTarget(el('TEXTAREA'))).toBe(true);
    expect(isTypingTarget(el('SELECT'))).toBe(true);
    expect(isTypingTarget(el('DIV', { isContentEditable: true }))).toBe(true);
  });

  it('is false for buttons, checkboxes and the page', () => {
    expect(isTypingTarget(el('BUTTON'))).toBe(false);
    expect(isTypingTarget(el('INPUT', { type: 'radio' }))).toBe(false);
    expect(isTypingTarget(el('INPUT', { type: 'checkbox' }))).toBe(false);
    expect(isTypingTarget(el('BODY'))).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe('isNewProjectShortcut', () => {
  it('fires on n / N outside fields', () => {
    expect(isNewProjectShortcut(key('n'), false)).toBe(true);
    expect(isNewProjectShortcut(key('N', el('BODY'), { shiftKey: true }), false)).toBe(true);
  });

  it('does not fire while typing, with a dialog open, with modifiers, on repeat, or for other keys', () => {
    expect(isNewProjectShortcut(key('n', el('INPUT', { type: 'text' })), false)).toBe(false);
    expect(isNewProjectShortcut(key('n'), true)).toBe(false);
    expect(isNewProjectShortcut(key('n', el('BODY'), { ctrlKey: true }), false)).toBe(false);
    expect(isNewProjectShortcut(key('n', el('BODY'), { metaKey: true }), false)).toBe(false);
    expect(isNewProjectShortcut(key('n', el('BODY'), { altKey: true }), false)).toBe(false);
    expect(isNewProjectShortcut(key('n', el('BODY'), { repeat: true }), false)).toBe(false);
    expect(isNewProjectShortcut(key('n', el('BODY'), { defaultPrevented: true }), false)).toBe(false);
    expect(isNewProjectShortcut(key('m'), false)).toBe(false);
  });
});

describe('isSaveShortcut', () => {
  it('is Ctrl+S or Cmd+S, not with Alt, not plain s', async () => {
    const { isSaveShortcut } = await import('./keyboard');
    expect(isSaveShortcut(key('s', el('TEXTAREA'), { ctrlKey: true }))).toBe(true);
    expect(isSaveShortcut(key('S', el('BODY'), { metaKey: true, shiftKey: true }))).toBe(true);
    expect(isSaveShortcut(key('s', el('BODY'), { ctrlKey: true, altKey: true }))).toBe(false);
    expect(isSaveShortcut(key('s'))).toBe(false);
  });
});

describe('isSendShortcut', () => {
  it('is Ctrl+Enter or Cmd+Enter, not plain Enter, not with Alt', async () => {
    const { isSendShortcut } = await import('./keyboard');
    expect(isSendShortcut(key('Enter', el('TEXTAREA'), { ctrlKey: true }))).toBe(true);
    expect(isSendShortcut(key('Enter', el('TEXTAREA'), { metaKey: true }))).toBe(true);
    expect(isSendShortcut(key('Enter', el('TEXTAREA')))).toBe(false);
    expect(isSendShortcut(key('Enter', el('TEXTAREA'), { ctrlKey: true, altKey: true }))).toBe(false);
    expect(isSendShortcut(key('m', el('TEXTAREA'), { ctrlKey: true }))).toBe(false);
  });
});

describe('cardKeyAction', () => {
  it.each([
    ['ArrowLeft', {}, 'prev'],
    ['ArrowUp', {}, 'prev'],
    ['ArrowRight', {}, 'next'],
    ['ArrowDown', {}, 'next'],
    ['Home', {}, 'first'],
    ['End', {}, 'last'],
    ['Enter', {}, 'edit'],
    ['Delete', {}, 'delete'],
    ['Backspace', {}, 'delete'],
    ['ArrowUp', { altKey: true }, 'move-up'],
    ['ArrowLeft', { altKey: true }, 'move-up'],
    ['ArrowDown', { altKey: true }, 'move-down'],
    ['ArrowRight', { altKey: true }, 'move-down'],
    ['ArrowUp', { ctrlKey: true }, null],
    ['ArrowDown', { metaKey: true }, null],
    ['ArrowDown', { shiftKey: true }, null],
    ['Enter', { shiftKey: true }, null],
    ['Enter', { altKey: true }, null],
    ['x', {}, null],
  ] as const)('%s %o → %s', async (k, mods, expected) => {
    const { cardKeyAction } = await import('./keyboard');
    expect(cardKeyAction(key(k, el('LI'), mods))).toBe(expected);
  });
});
