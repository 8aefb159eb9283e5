import { EditorState, type Range } from '@codemirror/state';
import { type Decoration } from '@codemirror/view';
import { describe, expect, it } from 'vitest';
import { classifyScript, LineStates } from '../../lib/scriptSyntax';
import { decorateLines, firstChangedLine } from './scriptHighlight';

/** Lines whose kind depends on their neighbours: cues, boneyards, the title page, blank lines. */
const POOL = [
  '',
  '  ',
  'Title: The Last Train',
  'Contact:',
  '    jane@example.com',
  'INT. KITCHEN - NIGHT',
  'MAYA',
  'BOB (V.O.)',
  '(beat)',
  'Come on.',
  '/* an old draft',
  'cut here',
  'end of it */',
  '[[a note]]',
  '第1集：重生归来',
  '场景1：医院病房 夜 内',
  '林雪（喘息）：我没死？',
  '△林雪猛地睁开眼睛。[[夜戏？]]',
  '（林雪别过头）',
  '剧名：重生',
  'CUT TO:',
  'STOP',
  'Rain hammers the platform.',
];

function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** What the decorations say about lines a..b (0-based): each line's kind and its marked parts. */
function decorated(ranges: Range<Decoration>[], state: EditorState) {
  const doc = state.doc;
  const lines: { kind: string; marks: [string, string][] }[] = [];
  for (const r of ranges) {
    const cls = String(r.value.spec.class);
    if (r.value.spec.attributes) lines.push({ kind: r.value.spec.attributes['data-kind'], marks: [] });
    else lines.at(-1)!.marks.push([cls.replace('sx-', ''), doc.sliceString(r.from, r.to)]);
  }
  return lines;
}

/** The same from classifying the whole text at once. */
function expected(text: string, a: number, b: number) {
  return classifyScript(text)
    .slice(a, b + 1)
    .map((l) => ({
      kind: l.kind,
      marks: l.tokens.filter((t) => t.kind !== l.kind && t.kind !== 'plain' && t.text).map((t): [string, string] => [t.kind, t.text]),
    }));
}

describe('the editor highlights the lines in view as the whole-text classifier does', () => {
  it('after each of many random edits, in a random window of lines', () => {
    const rnd = rng(7);
    const pick = () => POOL[Math.floor(rnd() * POOL.length)]!;
    let state = EditorState.create({ doc: Array.from({ length: 40 }, pick).join('\n') });
    const states = new LineStates();
    for (let step = 0; step < 3000; step++) {
      const doc = state.doc;
      // Replace some lines (maybe none) with new ones (maybe none), or type into one line.
      const a = 1 + Math.floor(rnd() * doc.lines);
      const b = Math.min(doc.lines, a + Math.floor(rnd() * 3));
      let changes;
      if (rnd() < 0.3) {
        const line = doc.line(a);
        const at = line.from + Math.floor(rnd() * (line.length + 1));
        changes = { from: at, insert: ['*/', '/*', ' ', 'x', 'A', '\n', '：'][Math.floor(rnd() * 7)]! };
      } else {
        const insert = Array.from({ length: Math.floor(rnd() * 4) }, pick).join('\n');
        changes = { from: doc.line(a).from, to: doc.line(b).to, insert };
      }
      const tr = state.update({ changes });
      state = tr.state;
      const first = firstChangedLine(tr.changes, state.doc);
      if (first >= 0) states.changedFrom(first);
      // A view somewhere in the document.
      const lines = state.doc.lines;
      const from = Math.floor(rnd() * lines);
      const to = Math.min(lines - 1, from + Math.floor(rnd() * 15));
      const ranges = decorateLines(state.doc, states, state.doc.line(from + 1).from, state.doc.line(to + 1).to);
      expect(decorated(ranges, state), `step ${step}`).toEqual(expected(state.doc.toString(), from, to));
    }
  });

  it('the first changed line of a transaction', () => {
    const state = EditorState.create({ doc: 'a\nb\nc\nd' });
    const at = (from: number, to: number, insert: string) => {
      const tr = state.update({ changes: { from, to, insert } });
      return firstChangedLine(tr.changes, tr.state.doc);
    };
    expect(at(4, 4, 'x')).toBe(2); // typing at the start of line 3
    expect(at(3, 4, '')).toBe(1); // joining lines 2 and 3
    expect(at(7, 7, '\n')).toBe(3); // a new line at the end
  });
});

describe('LineStates: only as far as asked, forgotten from an edit on', () => {
  const doc = Array.from({ length: 60_000 }, (_, i) => (i % 5 === 4 ? '' : `林雪：第${i}句。`));
  const text = (i: number) => doc[i]!;

  it('the top of a long script scans only the top', () => {
    const states = new LineStates();
    states.at(40, doc.length, text);
    expect(states.knownLines).toBe(41);
  });

  it('an edit forgets the states from its line, not above', () => {
    const states = new LineStates();
    states.at(1000, doc.length, text);
    states.changedFrom(500);
    expect(states.knownLines).toBe(500);
    states.changedFrom(0);
    expect(states.knownLines).toBe(1);
    // Line 0's state is the start state, always known.
    expect(states.at(0, doc.length, text)).toBe(states.at(0, doc.length, text));
  });

  it('a boneyard opened near the top colours a line far below', () => {
    const lines = ['/* cut', ...Array.from({ length: 5000 }, () => '林雪：你好。'), 'end */', '林雪：你好。'];
    const state = EditorState.create({ doc: lines.join('\n') });
    const states = new LineStates();
    const kinds = decorateLines(state.doc, states, state.doc.line(4000).from, state.doc.line(4000).to).map((r) => r.value.spec.attributes?.['data-kind']);
    expect(kinds[0]).toBe('note');
    const last = state.doc.line(lines.length);
    expect(decorateLines(state.doc, states, last.from, last.to)[0]!.value.spec.attributes['data-kind']).toBe('speech');
  });
});
