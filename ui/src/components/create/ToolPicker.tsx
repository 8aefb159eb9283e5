import type { Tool } from '../../api/create';
import { useLocale, useT } from '../../i18n';
import { toolCostLabel, toolDescription, toolName } from '../../lib/create';

interface Props {
  tools: readonly Tool[];
  /** The chosen tool's type, or null before one is chosen. */
  selected: string | null;
  onSelect: (toolType: string) => void;
}

/** The writing tools as cards: the name and what it writes in the UI's language, and the most one generation costs. */
export function ToolPicker({ tools, selected, onSelect }: Props) {
  const t = useT();
  const locale = useLocale();
  return (
    <ul className="tool-grid" aria-label={t('create.picker.label')} data-testid="tool-picker">
      {tools.map((tool) => {
        const current = tool.type === selected;
        return (
          <li key={tool.type}>
            <button
              type="button"
              className={`tool-card${current ? ' selected' : ''}`}
              aria-pressed={current}
              data-testid="tool-card"
              data-tool={tool.type}
              onClick={() => onSelect(tool.type)}
            >
              <span className="tool-card-name" data-testid="tool-name">
                {toolName(tool, locale)}
              </span>
              <span className="tool-card-description">{toolDescription(tool, locale)}</span>
              <span className={`chip tool-card-cost${tool.credits_cost > 0 ? '' : ' free'}`} data-testid="tool-cost">
                {toolCostLabel(tool)}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
