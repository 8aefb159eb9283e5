import { useMemo, useState } from 'react';
import { useT } from '../../i18n';
import { countNodes, outlineParts, parseOutline, type OutlineNode } from '../../lib/outline';

/** The mind map (a Markdown outline) as a tree whose branches fold; times show as chips. */
export function MindMapTree({ markdown }: { markdown: string }) {
  const t = useT();
  const tree = useMemo(() => parseOutline(markdown), [markdown]);
  // Folded branches, by their path ("0.2.1"); all open at first.
  const [folded, setFolded] = useState<ReadonlySet<string>>(() => new Set());
  if (tree.length === 0) {
    return (
      <p className="muted" data-testid="mindmap-empty">
        {t('summarize.result.noMindmap')}
      </p>
    );
  }
  const branches = allBranches(tree);
  const toggle = (path: string) =>
    setFolded((f) => {
      const next = new Set(f);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  return (
    <div className="mindmap" data-testid="mindmap" data-count={countNodes(tree)}>
      {branches.length > 0 && (
        <div className="mindmap-tools">
          <button type="button" className="button secondary button-sm" data-testid="mindmap-expand-all" onClick={() => setFolded(new Set())}>
            {t('summarize.result.expandAll')}
          </button>
          <button type="button" className="button secondary button-sm" data-testid="mindmap-collapse-all" onClick={() => setFolded(new Set(branches))}>
            {t('summarize.result.collapseAll')}
          </button>
        </div>
      )}
      <ul className="mindmap-tree" role="tree" aria-label={t('summarize.result.mindmap')}>
        {tree.map((n, i) => (
          <Node key={i} node={n} path={String(i)} level={1} folded={folded} onToggle={toggle} />
        ))}
      </ul>
    </div>
  );
}

function allBranches(nodes: readonly OutlineNode[], prefix = ''): string[] {
  const out: string[] = [];
  nodes.forEach((n, i) => {
    const path = prefix ? `${prefix}.${i}` : String(i);
    if (n.children.length) out.push(path, ...allBranches(n.children, path));
  });
  return out;
}

interface NodeProps {
  node: OutlineNode;
  path: string;
  level: number;
  folded: ReadonlySet<string>;
  onToggle: (path: string) => void;
}

function Node({ node, path, level, folded, onToggle }: NodeProps) {
  const t = useT();
  const branch = node.children.length > 0;
  const open = branch && !folded.has(path);
  return (
    <li className="mindmap-node" role="treeitem" aria-level={level} aria-expanded={branch ? open : undefined} data-testid="mindmap-node">
      <div className="mindmap-row">
        {branch ? (
          <button
            type="button"
            className="icon-button mindmap-toggle"
            aria-label={open ? t('summarize.result.collapse') : t('summarize.result.expand')}
            data-testid="mindmap-toggle"
            onClick={() => onToggle(path)}
          >
            <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          </button>
        ) : (
          <span className="mindmap-leaf" aria-hidden="true">
            •
          </span>
        )}
        <span className="mindmap-text">
          {outlineParts(node.text).map((p, i) =>
            p.kind === 'time' ? (
              <span key={i} className="chip mindmap-time" data-testid="mindmap-time">
                {p.text}
              </span>
            ) : (
              <span key={i}>{p.text}</span>
            ),
          )}
        </span>
      </div>
      {open && (
        <ul role="group">
          {node.children.map((c, i) => (
            <Node key={i} node={c} path={`${path}.${i}`} level={level + 1} folded={folded} onToggle={onToggle} />
          ))}
        </ul>
      )}
    </li>
  );
}
