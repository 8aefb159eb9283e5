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
