/**
 * An undo/redo history of server-side edits (the storyboard's delete, split, merge and edit).
 * Each entry knows how to undo and redo itself with requests; entries run one at a time, and an
 * entry whose undo or redo fails leaves the history (the server refused, so nothing changed there,
 * and the caller re-reads it).
 */
import type { ShortcutEventLike } from './keyboard';
import { isTypingTarget } from './keyboard';

export interface UndoEntry {
  /** What was done, for toasts: "Deleted shot 3". */
  label: string;
  undo: () => Promise<void>;
  redo: () => Promise<void>;
}

export type UndoOutcome =
  | { kind: 'done'; entry: UndoEntry }
  | { kind: 'failed'; entry: UndoEntry; error: unknown }
  /** Nothing to undo/redo, or another undo/redo is still running. */
  | { kind: 'none' };

export class UndoStack {
  private done: UndoEntry[] = [];
  private undone: UndoEntry[] = [];
  private running = false;

  constructor(private readonly limit = 100) {}

  /** A new edit: it can be undone; what was undone before can no longer be redone. */
  push(entry: UndoEntry): void {
    this.done.push(entry);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** Undoes the latest edit (Ctrl+Z). */
  undo(): Promise<UndoOutcome> {
    const entry = this.done[this.done.length - 1];
    return entry ? this.undoEntry(entry) : Promise.resolve({ kind: 'none' });
  }

  /**
   * Undoes `entry` (a toast's Undo button: maybe not the latest edit any more; the server refuses
   * an undo that would overwrite a later change).
   */
  async undoEntry(entry: UndoEntry): Promise<UndoOutcome> {
    const i = this.done.indexOf(entry);
    if (i < 0 || this.running) return { kind: 'none' };
    this.running = true;
    this.done.splice(i, 1);
    try {
      await entry.undo();
      this.undone.push(entry);
      return { kind: 'done', entry };
    } catch (error) {
      return { kind: 'failed', entry, error };
    } finally {
      this.running = false;
    }
  }

  /** Redoes the latest undone edit (Ctrl+Shift+Z / Ctrl+Y). */
  async redo(): Promise<UndoOutcome> {
    const entry = this.undone[this.undone.length - 1];
    if (!entry || this.running) return { kind: 'none' };
    this.running = true;
    this.undone.pop();
    try {
      await entry.redo();
      this.done.push(entry);
      return { kind: 'done', entry };
    } catch (error) {
      return { kind: 'failed', entry, error };
    } finally {
      this.running = false;
    }
  }

  clear(): void {
    this.done = [];
    this.undone = [];
  }
}

export type HistoryKey = 'undo' | 'redo';

/**
 * Ctrl+Z (Cmd+Z) undoes; Ctrl+Shift+Z and Ctrl+Y redo. Not while typing in a field, whose own
 * text undo comes first.
 */
export function historyKey(e: ShortcutEventLike): HistoryKey | null {
  if (e.defaultPrevented || !(e.ctrlKey || e.metaKey) || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  const key = e.key.toLowerCase();
  if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !e.shiftKey) return 'redo';
  return null;
}
