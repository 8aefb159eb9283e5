/**
 * A summary's mind map is a Markdown outline (docs/SUMMARIZE.md): `- ` items, two spaces a level,
 * times as `[mm:ss]`. `parseOutline` makes it a tree for the collapsible view. It is lenient, as
 * a language model's outline may be: `*`, `+` and `1.` items too, any indentation (an item's
 * parent is the nearest item above it that is indented less; a tab counts as two spaces),
 * headings (`#`, `##`…) as the items that hold what follows, and a line that is not an item as
 * more text of the item above.
 */

export interface OutlineNode {
  text: string;
  children: OutlineNode[];
}

/** A piece of an item's text: words, or a time (`[00:12]`) shown as a chip. */
export type OutlinePart = { kind: 'text'; text: string } | { kind: 'time'; text: string; ms: number };

const ITEM = /^([-*+]|\d+[.)])\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n += 1;
    else if (ch === '\t') n += 2;
    else break;
  }
  return n;
}

/** Markdown emphasis markers dropped from an item's text (`**Hook**` → `Hook`). */
function plain(text: string): string {
  return text.replace(/(\*\*|__)(.+?)\1/g, '$2').trim();
}

export function parseOutline(markdown: string): OutlineNode[] {
  const roots: OutlineNode[] = [];
  // The open items, outermost first, with the indentation they were written at (headings below 0).
  const stack: { indent: number; node: OutlineNode }[] = [];
  for (const raw of markdown.split(/\r\n|\r|\n/)) {
    if (!raw.trim()) continue;
    const trimmed = raw.trim();
    let indent: number;
    let text: string;
    const heading = HEADING.exec(trimmed);
    const item = heading ? null : ITEM.exec(trimmed);
    if (heading) {
      indent = heading[1]!.length - 100;
      text = heading[2]!;
    } else if (item) {
      indent = indentOf(raw);
      text = item[2]!;
    } else {
      // More text of the item above (or an item of its own when there is none).
      const open = stack[stack.length - 1];
      if (open) {
        open.node.text = plain(`${open.node.text} ${trimmed}`);
        continue;
      }
      indent = indentOf(raw);
      text = trimmed;
    }
    const node: OutlineNode = { text: plain(text), children: [] };
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1];
    (parent ? parent.node.children : roots).push(node);
    stack.push({ indent, node });
  }
  return roots;
}

const TIME = /\[(\d{1,2}:)?(\d{1,2}):(\d{2})(?:[.,]\d+)?(?:\s*[–-]\s*(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d+)?)?\]/g;

/**
 * Splits an item's text into words and times (`[mm:ss]`, `[h:mm:ss]`, or a range `[mm:ss–mm:ss]`
 * as the beats carry; a range's `ms` is where it starts).
 */
export function outlineParts(text: string): OutlinePart[] {
  const parts: OutlinePart[] = [];
  let at = 0;
  for (const m of text.matchAll(TIME)) {
    const start = m.index ?? 0;
    const before = text.slice(at, start).trim();
    if (before) parts.push({ kind: 'text', text: before });
    const h = m[1] ? Number(m[1].slice(0, -1)) : 0;
    const ms = ((h * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
    parts.push({ kind: 'time', text: m[0].slice(1, -1), ms });
    at = start + m[0].length;
  }
  const rest = text.slice(at).trim();
  if (rest) parts.push({ kind: 'text', text: rest });
  return parts;
}

/** How many items the tree holds. */
export function countNodes(nodes: readonly OutlineNode[]): number {
  return nodes.reduce((n, node) => n + 1 + countNodes(node.children), 0);
}
