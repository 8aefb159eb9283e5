/** Whether a key event happened while the user is typing in a field (so shortcuts must not fire). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(type);
  }
  return el.isContentEditable === true;
}

export interface ShortcutEventLike {
  key: string;
  target: EventTarget | null;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey?: boolean;
  repeat?: boolean;
  defaultPrevented?: boolean;
}

/** `n` (no modifiers, not typing, no dialog open) opens "New project". */
export function isNewProjectShortcut(e: ShortcutEventLike, dialogOpen: boolean): boolean {
  if (dialogOpen || e.defaultPrevented || e.repeat) return false;
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  if (e.key !== 'n' && e.key !== 'N') return false;
  return !isTypingTarget(e.target);
}

/** Ctrl+S (Cmd+S on macOS): save now. */
export function isSaveShortcut(e: ShortcutEventLike): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 's' || e.key === 'S');
}

/** Ctrl+Enter (Cmd+Enter on macOS): send (the playground's message). */
export function isSendShortcut(e: ShortcutEventLike): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && e.key === 'Enter';
}

export type CardKeyAction = 'prev' | 'next' | 'first' | 'last' | 'move-up' | 'move-down' | 'edit' | 'delete';

/**
 * What a key pressed on a focused storyboard card does: arrows move the focus (reading order),
 * Alt+arrows move the shot, Home/End jump, Enter edits, Delete/Backspace deletes.
 */
export function cardKeyAction(e: ShortcutEventLike): CardKeyAction | null {
  if (e.ctrlKey || e.metaKey) return null;
  const back = e.key === 'ArrowUp' || e.key === 'ArrowLeft';
  const forward = e.key === 'ArrowDown' || e.key === 'ArrowRight';
  if (e.altKey) return back ? 'move-up' : forward ? 'move-down' : null;
  if (e.shiftKey && e.key !== 'Enter') return null;
  if (back) return 'prev';
  if (forward) return 'next';
  switch (e.key) {
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'Enter':
      return e.shiftKey ? null : 'edit';
    case 'Delete':
    case 'Backspace':
      return 'delete';
    default:
      return null;
  }
}

/**
 * Enter in a dialog's settings form (selects, radios, checkboxes: no implicit submit there) starts
 * it; not on buttons and links (they act themselves), in a textarea, while an IME composes, or
 * with Alt/Shift.
 */
export function isFormStartKey(e: ShortcutEventLike & { isComposing?: boolean }): boolean {
  if (e.key !== 'Enter' || e.defaultPrevented || e.repeat || e.isComposing) return false;
  if (e.altKey || e.shiftKey) return false;
  const el = e.target as HTMLElement | null;
  const tag = typeof el?.tagName === 'string' ? el.tagName.toLowerCase() : '';
  if (tag === 'button' || tag === 'a' || tag === 'textarea' || tag === 'summary') return false;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    if (['button', 'submit', 'reset', 'file'].includes(type)) return false;
  }
  return !el?.isContentEditable;
}
