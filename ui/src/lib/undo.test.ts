import { describe, expect, it } from 'vitest';
import { historyKey, UndoStack, type UndoEntry } from './undo';

/** An entry that records its calls in `log`; `fail` makes its undo reject. */
function entry(name: string, log: string[], fail = false): UndoEntry {
  return {
    label: name,
    undo: async () => {
      if (fail) throw new Error(`${name} refused`);
      log.push(`undo ${name}`);
    },
    redo: async () => {
      log.push(`redo ${name}`);
    },
  };
}

describe('UndoStack', () => {
  it('undoes newest first and redoes in reverse', async () => {
    const log: string[] = [];
    const s = new UndoStack();
    s.push(entry('a', log));
    s.push(entry('b', log));
    expect((await s.undo()).kind).toBe('done');
    expect((await s.undo()).kind).toBe('done');
    expect((await s.undo()).kind).toBe('none');
    expect(await s.redo()).toMatchObject({ kind: 'done', entry: { label: 'a' } });
    expect(await s.redo()).toMatchObject({ kind: 'done', entry: { label: 'b' } });
    expect(log).toEqual(['undo b', 'undo a', 'redo a', 'redo b']);
    expect(s.canRedo).toBe(false);
    expect(s.canUndo).toBe(true);
  });

  it('a new edit drops what could be redone', async () => {
    const log: string[] = [];
    const s = new UndoStack();
    s.push(entry('a', log));
    await s.undo();
    expect(s.canRedo).toBe(true);
    s.push(entry('b', log));
    expect(s.canRedo).toBe(false);
    expect((await s.redo()).kind).toBe('none');
  });

  it('a failed undo leaves the history (and nothing to redo)', async () => {
    const log: string[] = [];
    const s = new UndoStack();
    s.push(entry('a', log));
    s.push(entry('b', log, true));
    const r = await s.undo();
    expect(r.kind).toBe('failed');
    expect(s.canRedo).toBe(false);
    // The older edit can still be undone.
    expect(await s.undo()).toMatchObject({ kind: 'done', entry: { label: 'a' } });
  });

  it("a toast's Undo undoes its own entry even when later edits exist", async () => {
    const log: string[] = [];
    const s = new UndoStack();
    const a = entry('a', log);
    s.push(a);
    s.push(entry('b', log));
    await s.undoEntry(a);
    expect(log).toEqual(['undo a']);
    expect((await s.undoEntry(a)).kind).toBe('none');
    await s.undo();
    expect(log).toEqual(['undo a', 'undo b']);
  });

  it('runs one undo at a time', async () => {
    let release = () => {};
    const slow: UndoEntry = {
      label: 'slow',
      undo: () => new Promise<void>((r) => (release = r)),
      redo: async () => {},
    };
    const s = new UndoStack();
    s.push(entry('a', []));
    s.push(slow);
    const first = s.undo();
    expect((await s.undo()).kind).toBe('none');
    release();
    expect((await first).kind).toBe('done');
  });

  it('keeps at most `limit` entries', async () => {
    const log: string[] = [];
    const s = new UndoStack(2);
    for (const n of ['a', 'b', 'c']) s.push(entry(n, log));
    await s.undo();
    await s.undo();
    expect((await s.undo()).kind).toBe('none');
    expect(log).toEqual(['undo c', 'undo b']);
  });
});

describe('historyKey', () => {
  const body = { tagName: 'BODY' } as unknown as EventTarget;
  const ev = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}, target = body) => ({
    key,
    target,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...mods,
  });

  it('maps Ctrl/Cmd+Z, Ctrl+Shift+Z and Ctrl+Y', () => {
    expect(historyKey(ev('z', { ctrlKey: true }))).toBe('undo');
    expect(historyKey(ev('z', { metaKey: true }))).toBe('undo');
    expect(historyKey(ev('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(historyKey(ev('y', { ctrlKey: true }))).toBe('redo');
  });

  it('ignores plain keys, Alt, and typing in a field', () => {
    expect(historyKey(ev('z'))).toBeNull();
    expect(historyKey(ev('z', { ctrlKey: true, altKey: true }))).toBeNull();
    const textarea = { tagName: 'TEXTAREA' } as unknown as EventTarget;
    expect(historyKey(ev('z', { ctrlKey: true }, textarea))).toBeNull();
  });
});
