/**
 * Syntax highlighting of the script editor (CodeMirror 6): only the lines CodeMirror draws (those
 * in view and a margin) are classified and decorated, so a 2 MB script costs what they cost.
 *
 * A line's kind depends on the lines above it (a Fountain cue puts the lines under it in
 * dialogue, a `/*` opens a multi-line boneyard, the title page ends at the first blank line) and on
 * whether the next line has text. `LineStates` keeps the classifier's state at the start of each
 * line, computed down to the lines shown and forgotten from an edit on, so the lines in view are
 * coloured exactly as `classifyScript` colours the whole text.
 *
 * Each line gets the classes `sx-line sx-<kind>` and `data-kind="<kind>"`; the parts of a line
 * whose kind differs from the line's (a speech line's cue, emotion, colon and words, inline
 * `[[notes]]`) are marked `sx-<token kind>`.
 */
import { type ChangeSet, type Range, type Text } from '@codemirror/state';
import { Decoration, type DecorationSet, type EditorView, ViewPlugin, type ViewUpdate } from '@codemirror/view';
import { classifiedLine, type LineKind, LineStates, scanLine } from '../../lib/scriptSyntax';

const lineDecos = new Map<LineKind, Decoration>();
const markDecos = new Map<string, Decoration>();

function lineDeco(kind: LineKind): Decoration {
  let d = lineDecos.get(kind);
  if (!d) {
    d = Decoration.line({ class: `sx-line sx-${kind}`, attributes: { 'data-kind': kind } });
    lineDecos.set(kind, d);
  }
  return d;
}

function markDeco(kind: string): Decoration {
  let d = markDecos.get(kind);
  if (!d) {
    d = Decoration.mark({ class: `sx-${kind}` });
    markDecos.set(kind, d);
  }
  return d;
}

/**
 * The decorations of the lines that touch `[from, to]` of `doc` (positions), in document order.
 * `states` must be kept in step with `doc` (see `ScriptHighlighter.update`).
 */
export function decorateLines(doc: Text, states: LineStates, from: number, to: number): Range<Decoration>[] {
  const out: Range<Decoration>[] = [];
  const text = (i: number) => doc.line(i + 1).text;
  let line = doc.lineAt(from);
  const last = doc.lineAt(to).number;
  let state = states.at(line.number - 1, doc.lines, text);
  for (;;) {
    const next = line.number < doc.lines ? doc.line(line.number + 1) : null;
    const scan = scanLine(state, line.text, next?.text);
    out.push(lineDeco(scan.kind).range(line.from));
    let pos = line.from;
    for (const token of classifiedLine(line.text, scan).tokens) {
      const end = pos + token.text.length;
      if (token.kind !== scan.kind && token.kind !== 'plain' && end > pos) out.push(markDeco(token.kind).range(pos, end));
      pos = end;
    }
    if (!next || next.number > last) break;
    state = scan.after;
    line = next;
  }
  return out;
}

/** The number (0-based) of the first line of `doc` (the document after `changes`) they changed, or -1. */
export function firstChangedLine(changes: ChangeSet, doc: Text): number {
  let first = -1;
  changes.iterChangedRanges((_fromA, _toA, fromB) => {
    const n = doc.lineAt(fromB).number - 1;
    if (first < 0 || n < first) first = n;
  });
  return first;
}

class ScriptHighlighter {
  decorations: DecorationSet;
  private readonly states = new LineStates();

  constructor(view: EditorView) {
    this.decorations = this.build(view);
  }

  update(update: ViewUpdate) {
    if (update.docChanged) {
      const first = firstChangedLine(update.changes, update.state.doc);
      if (first >= 0) this.states.changedFrom(first);
    }
    if (update.docChanged || update.viewportChanged) this.decorations = this.build(update.view);
  }

  /** The lines CodeMirror draws (those in view and a margin around them), not only the visible ones. */
  private build(view: EditorView): DecorationSet {
    const { from, to } = view.viewport;
    return Decoration.set(decorateLines(view.state.doc, this.states, from, to), true);
  }
}

/** The highlighting extension. */
export const scriptHighlighting = ViewPlugin.fromClass(ScriptHighlighter, { decorations: (p) => p.decorations });
