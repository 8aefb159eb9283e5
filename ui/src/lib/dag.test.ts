import { describe, expect, it } from 'vitest';
import { dagGeometry, endpointNode, fitZoom, layerDag, nodeEdges } from './dag';

const animatic = {
  nodes: ['parse', 'characters', 'plan', 'keyframes', 'review', 'voice', 'subtitles', 'compose'].map((id) => ({ id })),
  edges: [
    { from: 'parse.breakdown', to: 'characters.breakdown' },
    { from: 'parse.breakdown', to: 'plan.breakdown' },
    { from: 'characters.characters', to: 'plan.characters' },
    { from: 'plan.storyboard', to: 'keyframes.storyboard' },
    { from: 'characters.characters', to: 'keyframes.characters' },
    { from: 'keyframes.images', to: 'review.images' },
    { from: 'plan.storyboard', to: 'voice.storyboard' },
    { from: 'characters.characters', to: 'voice.characters' },
    { from: 'plan.storyboard', to: 'subtitles.storyboard' },
    { from: 'voice.audio', to: 'subtitles.audio' },
    { from: 'plan.storyboard', to: 'compose.storyboard' },
    { from: 'review.images', to: 'compose.images' },
    { from: 'voice.audio', to: 'compose.audio' },
    { from: 'subtitles.subtitles', to: 'compose.subtitles' },
  ],
};

describe('endpointNode / nodeEdges', () => {
  it('drops the port, preferring the longest known id', () => {
    const ids = new Set(['a', 'a.b', 'c']);
    expect(endpointNode('c.out', ids)).toBe('c');
    expect(endpointNode('a.b.out', ids)).toBe('a.b');
    expect(endpointNode('a.in', ids)).toBe('a');
    expect(endpointNode('c', ids)).toBe('c');
    expect(endpointNode('zzz.out', ids)).toBeNull();
  });

  it('dedups port edges into node edges and skips self-loops and unknown nodes', () => {
    const edges = nodeEdges([{ id: 'a' }, { id: 'b' }], [
      { from: 'a.x', to: 'b.x' },
      { from: 'a.y', to: 'b.y' },
      { from: 'a.x', to: 'a.y' },
      { from: 'ghost.x', to: 'b.z' },
    ]);
    expect(edges).toEqual([{ from: 'a', to: 'b' }]);
  });
});

describe('layerDag', () => {
  it('puts every node one column right of its furthest predecessor (longest path)', () => {
    const l = layerDag(animatic.nodes, animatic.edges);
    expect(l.columns.map((c) => [...c].sort())).toEqual([
      ['parse'],
      ['characters'],
      ['plan'],
      ['keyframes', 'voice'],
      ['review', 'subtitles'],
      ['compose'],
    ]);
    for (const e of l.edges) expect(l.position[e.from]!.col).toBeLessThan(l.position[e.to]!.col);
  });

  it('orders a column by the rows of the predecessors, then by graph order', () => {
    const l = layerDag(animatic.nodes, animatic.edges);
    // keyframes comes before voice in the graph; review follows keyframes, subtitles follows voice.
    expect(l.columns[3]).toEqual(['keyframes', 'voice']);
    expect(l.columns[4]).toEqual(['review', 'subtitles']);
    // A node fed by the lower row goes below one fed by the upper row, whatever the graph order.
    const l2 = layerDag([{ id: 's1' }, { id: 's2' }, { id: 'late' }, { id: 'early' }], [
      { from: 's2.o', to: 'late.i' },
      { from: 's1.o', to: 'early.i' },
    ]);
    expect(l2.columns).toEqual([['s1', 's2'], ['early', 'late']]);
  });

  it('keeps unconnected nodes in column 0 and does not hang on a cycle', () => {
    const l = layerDag([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'lonely' }], [
      { from: 'a.o', to: 'b.i' },
      { from: 'b.o', to: 'c.i' },
      { from: 'c.o', to: 'b.j' },
    ]);
    expect(l.position.a).toEqual({ col: 0, row: 0 });
    expect(l.position.lonely).toEqual({ col: 0, row: 1 });
    expect(l.position.b!.col).toBe(1);
    expect(l.position.c!.col).toBe(1);
  });

  it('handles an empty graph and duplicate node ids', () => {
    expect(layerDag([], [])).toEqual({ columns: [], position: {}, edges: [] });
    expect(layerDag([{ id: 'x' }, { id: 'x' }], []).columns).toEqual([['x']]);
  });
});

describe('dagGeometry', () => {
  const o = { cardWidth: 100, cardHeight: 50, colGap: 20, rowGap: 10, padding: 5 };

  it('places the columns left to right and centres short columns vertically', () => {
    const g = dagGeometry(layerDag(animatic.nodes, animatic.edges), o);
    expect(g.width).toBe(5 * 2 + 6 * 100 + 5 * 20);
    expect(g.height).toBe(5 * 2 + 2 * 50 + 10);
    expect(g.boxes.parse).toEqual({ x: 5, y: 5 + 30, width: 100, height: 50 });
    expect(g.boxes.keyframes).toEqual({ x: 5 + 3 * 120, y: 5, width: 100, height: 50 });
    expect(g.boxes.voice).toEqual({ x: 5 + 3 * 120, y: 65, width: 100, height: 50 });
  });

  it('draws each edge from the right middle of its source to the left middle of its target', () => {
    const g = dagGeometry(layerDag([{ id: 'a' }, { id: 'b' }], [{ from: 'a.o', to: 'b.i' }]), o);
    expect(g.paths).toHaveLength(1);
    expect(g.paths[0]!.d.startsWith('M105,30 ')).toBe(true);
    expect(g.paths[0]!.d.endsWith(' 125,30')).toBe(true);
  });

  it('routes an edge that skips columns in a lane above the cards it passes', () => {
    const l = layerDag([{ id: 'a' }, { id: 'b' }, { id: 'c' }], [
      { from: 'a.o', to: 'b.i' },
      { from: 'b.o', to: 'c.i' },
      { from: 'a.o', to: 'c.j' },
    ]);
    const g = dagGeometry(l, o);
    const long = g.paths.find((p) => p.from === 'a' && p.to === 'c')!;
    const laneY = g.boxes.b!.y - o.rowGap / 2;
    expect(long.d).toContain(`L${g.boxes.c!.x - o.colGap},${laneY}`);
    expect(long.d.startsWith(`M105,30 `)).toBe(true);
  });
});

describe('fitZoom', () => {
  it('keeps 1 when the graph fits, scales down to fit, never below 0.6', () => {
    expect(fitZoom(1000, 1200)).toBe(1);
    expect(fitZoom(1218, 1074)).toBeCloseTo(1074 / 1218);
    expect(fitZoom(4000, 1000)).toBe(0.6);
    expect(fitZoom(1000, 0)).toBe(1); // not measured yet
  });
});
