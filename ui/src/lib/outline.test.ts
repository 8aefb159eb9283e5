import { describe, expect, it } from 'vitest';
import { countNodes, outlineParts, parseOutline, type OutlineNode } from './outline';

/** The tree as nested arrays of texts, for short expectations. */
const shape = (nodes: OutlineNode[]): unknown[] => nodes.map((n) => (n.children.length ? [n.text, shape(n.children)] : n.text));

describe('parseOutline', () => {
  it('nests `- ` items by two spaces a level', () => {
    const md = ['- Episode 1', '  - Hook [00:00]', '    - She opens the door', '  - Reversal [00:42]', '- Episode 2', '  - Cliffhanger'].join('\n');
    expect(shape(parseOutline(md))).toEqual([
      ['Episode 1', [['Hook [00:00]', ['She opens the door']], 'Reversal [00:42]']],
      ['Episode 2', ['Cliffhanger']],
    ]);
  });

  it('goes back up several levels at once', () => {
    const md = '- a\n  - b\n    - c\n      - d\n- e';
    expect(shape(parseOutline(md))).toEqual([['a', [['b', [['c', ['d']]]]]], 'e']);
  });

  it('takes any indentation (four spaces, tabs), other bullets and numbered items', () => {
    const four = '* root\n    + child\n        1. grandchild\n    2) child two\n';
    expect(shape(parseOutline(four))).toEqual([['root', [['child', ['grandchild']], 'child two']]]);
    const tabs = '- root\n\t- child\n\t\t- grandchild\n\t- child two';
    expect(shape(parseOutline(tabs))).toEqual([['root', [['child', ['grandchild']], 'child two']]]);
  });

  it('nests items under headings, and headings under headings', () => {
    const md = '# 第一集\n- 开场 [00:03]\n## 反转\n- 没想到是他\n# Episode 2\n- end';
    expect(shape(parseOutline(md))).toEqual([
      ['第一集', ['开场 [00:03]', ['反转', ['没想到是他']]]],
      ['Episode 2', ['end']],
    ]);
  });

  it('reads a line that is not an item as more text of the item above; skips blank lines', () => {
    const md = '- a long\n  item that wraps\n\n\n- **bold** next\r\n  - child';
    expect(shape(parseOutline(md))).toEqual(['a long item that wraps', ['bold next', ['child']]]);
  });

  it('makes text without items a root of its own, and nothing of an empty outline', () => {
    expect(shape(parseOutline('just a line'))).toEqual(['just a line']);
    expect(parseOutline('')).toEqual([]);
    expect(parseOutline('  \n\n')).toEqual([]);
  });

  it('counts the items', () => {
    expect(countNodes(parseOutline('- a\n  - b\n  - c\n- d'))).toBe(4);
  });
});

describe('outlineParts', () => {
  it('reads a beat\'s time range as one chip that starts where the range does', () => {
    expect(outlineParts('Hook [00:00–00:02]')).toEqual([
      { kind: 'text', text: 'Hook' },
      { kind: 'time', text: '00:00–00:02', ms: 0 },
    ]);
    expect(outlineParts('Reversal [01:12-01:15] fake')[1]).toEqual({ kind: 'time', text: '01:12-01:15', ms: 72_000 });
  });

  it('splits times ([mm:ss], [h:mm:ss]) out of the text as chips', () => {
    expect(outlineParts('Hook [00:12] the door')).toEqual([
      { kind: 'text', text: 'Hook' },
      { kind: 'time', text: '00:12', ms: 12_000 },
      { kind: 'text', text: 'the door' },
    ]);
    expect(outlineParts('[1:02:03] late')).toEqual([
      { kind: 'time', text: '1:02:03', ms: 3_723_000 },
      { kind: 'text', text: 'late' },
    ]);
    expect(outlineParts('between [00:05] and [00:09]').filter((p) => p.kind === 'time').map((p) => (p as { ms: number }).ms)).toEqual([5000, 9000]);
    expect(outlineParts('no time [here]')).toEqual([{ kind: 'text', text: 'no time [here]' }]);
  });
});
