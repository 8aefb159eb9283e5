/**
 * Layout of a workflow graph for the run view: nodes in columns by longest path from a source
 * (every edge goes left to right), rows ordered to keep edges short, and pixel positions for the
 * cards and the SVG edges between them. Pure.
 */

export interface DagNodeLike {
  id: string;
}

/** `from`/`to` are `"<node id>.<port>"` (as in the template graph) or bare node ids. */
export interface DagEdgeLike {
  from: string;
  to: string;
}

export interface NodeEdge {
  from: string;
  to: string;
}

export interface DagLayers {
  /** Node ids per column, left to right; each column top to bottom. */
  columns: string[][];
  /** Column and row of every node. */
  position: Record<string, { col: number; row: number }>;
  /** Node-level edges (ports dropped, duplicates and self-loops removed, unknown nodes skipped). */
  edges: NodeEdge[];
}

/**
 * The node id of an edge end: the longest known node id that `end` is, or starts with followed
 * by a dot (ports never contain the node id's dots, ids may contain dots in user templates).
 */
export function endpointNode(end: string, ids: ReadonlySet<string>): string | null {
  if (ids.has(end)) return end;
  let best: string | null = null;
  for (let i = end.indexOf('.'); i !== -1; i = end.indexOf('.', i + 1)) {
    const candidate = end.slice(0, i);
    if (ids.has(candidate)) best = candidate;
  }
  return best;
}

/** Node-level edges of a port graph, in first-seen order. */
export function nodeEdges(nodes: readonly DagNodeLike[], edges: readonly DagEdgeLike[]): NodeEdge[] {
  const ids = new Set(nodes.map((n) => n.id));
  const seen = new Set<string>();
  const out: NodeEdge[] = [];
  for (const e of edges) {
    const from = endpointNode(e.from, ids);
    const to = endpointNode(e.to, ids);
    if (!from || !to || from === to) continue;
    const key = `${from}\u0000${to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ from, to });
  }
  return out;
}

/**
 * Layers by longest path: a source is in column 0, any other node one column right of its
 * furthest predecessor. Nodes on a cycle (an invalid graph, but the UI must not hang) go after
 * everything else, in graph order. Within a column, nodes are sorted by the mean row of their
 * predecessors (barycenter), ties by their order in the graph.
 */
export function layerDag(nodes: readonly DagNodeLike[], edges: readonly DagEdgeLike[]): DagLayers {
  const order = new Map<string, number>();
  for (const n of nodes) if (!order.has(n.id)) order.set(n.id, order.size);
  const ids = [...order.keys()];
  const ne = nodeEdges(
    ids.map((id) => ({ id })),
    edges,
  );
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  const succs = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of ne) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }

  // Kahn's algorithm in graph order; the layer of a node is fixed once all its predecessors are.
  const layer = new Map<string, number>();
  const indegree = new Map(ids.map((id) => [id, preds.get(id)!.length]));
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length) {
    ready.sort((a, b) => order.get(a)! - order.get(b)!);
    const id = ready.shift()!;
    const l = preds.get(id)!.reduce((m, p) => Math.max(m, (layer.get(p) ?? -1) + 1), 0);
    layer.set(id, l);
    for (const s of succs.get(id)!) {
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) ready.push(s);
    }
  }
  const maxLayer = Math.max(-1, ...layer.values());
  for (const id of ids) if (!layer.has(id)) layer.set(id, maxLayer + 1);

  const columnCount = Math.max(0, ...[...layer.values()].map((l) => l + 1));
  const columns: string[][] = Array.from({ length: columnCount }, () => []);
  for (const id of ids) columns[layer.get(id)!]!.push(id);

  const position: Record<string, { col: number; row: number }> = {};
  columns.forEach((col, c) => {
    const key = (id: string) => {
      const placed = preds.get(id)!.filter((p) => position[p] && position[p]!.col < c);
      if (!placed.length) return Number.POSITIVE_INFINITY;
      return placed.reduce((sum, p) => sum + position[p]!.row, 0) / placed.length;
    };
    const keys = new Map(col.map((id) => [id, key(id)]));
    col.sort((a, b) => {
      const ka = keys.get(a)!;
      const kb = keys.get(b)!;
      if (ka !== kb) return ka === Number.POSITIVE_INFINITY ? 1 : kb === Number.POSITIVE_INFINITY ? -1 : ka - kb;
      return order.get(a)! - order.get(b)!;
    });
    col.forEach((id, r) => {
      position[id] = { col: c, row: r };
    });
  });

  return { columns, position, edges: ne };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DagGeometry {
  width: number;
  height: number;
  boxes: Record<string, Box>;
  /** SVG path data of every edge, from the right side of `from` to the left side of `to`. */
  paths: { from: string; to: string; d: string }[];
}

export interface GeometryOptions {
  cardWidth: number;
  cardHeight: number;
  colGap: number;
  rowGap: number;
  padding?: number;
}

/** Pixel boxes of the cards (columns vertically centred on the tallest) and the edge curves. */
export function dagGeometry(layers: DagLayers, o: GeometryOptions): DagGeometry {
  const pad = o.padding ?? 0;
  const rows = Math.max(0, ...layers.columns.map((c) => c.length));
  const height = rows ? pad * 2 + rows * o.cardHeight + (rows - 1) * o.rowGap : 0;
  const cols = layers.columns.length;
  const width = cols ? pad * 2 + cols * o.cardWidth + (cols - 1) * o.colGap : 0;
  const boxes: Record<string, Box> = {};
  layers.columns.forEach((col, c) => {
    const colHeight = col.length * o.cardHeight + Math.max(0, col.length - 1) * o.rowGap;
    const top = pad + (height - pad * 2 - colHeight) / 2;
    col.forEach((id, r) => {
      boxes[id] = {
        x: pad + c * (o.cardWidth + o.colGap),
        y: top + r * (o.cardHeight + o.rowGap),
        width: o.cardWidth,
        height: o.cardHeight,
      };
    });
  });
  const paths = layers.edges.map((e) => {
    const a = boxes[e.from]!;
    const b = boxes[e.to]!;
    const x1 = a.x + a.width;
    const y1 = a.y + a.height / 2;
    const x2 = b.x;
    const y2 = b.y + b.height / 2;
    const from = layers.position[e.from]!.col;
    const to = layers.position[e.to]!.col;
    if (to - from > 1) {
      // A long edge would run behind the cards of the columns it skips: route it in a lane just
      // above the highest of those cards.
      let top = Number.POSITIVE_INFINITY;
      for (let c = from + 1; c < to; c++) {
        for (const id of layers.columns[c] ?? []) top = Math.min(top, boxes[id]!.y);
      }
      const lane = top - o.rowGap / 2;
      const g = o.colGap / 2;
      return {
        from: e.from,
        to: e.to,
        d:
          `M${x1},${y1} C${x1 + g},${y1} ${x1 + g},${lane} ${x1 + 2 * g},${lane} ` +
          `L${x2 - 2 * g},${lane} C${x2 - g},${lane} ${x2 - g},${y2} ${x2},${y2}`,
      };
    }
    const bend = Math.max(24, (x2 - x1) / 2);
    return { from: e.from, to: e.to, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` };
  });
  return { width, height, boxes, paths };
}

/** The scale that fits `content` px into `available` px: 1 when it fits, never below 0.6. */
export function fitZoom(content: number, available: number): number {
  if (content <= 0 || available <= 0 || content <= available) return 1;
  return Math.max(0.6, available / content);
}
