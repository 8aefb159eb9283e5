import { useT } from '../../i18n';
import { MEDIA_TOOLS, type MediaTool } from '../../lib/create';
import { FilmIcon, FileTextIcon, ImageIcon } from '../Icons';

const ICONS: Record<MediaTool, typeof FilmIcon> = { deck: FileTextIcon, image: ImageIcon, video: FilmIcon };

interface Props {
  selected: string | null;
  onSelect: (tool: MediaTool) => void;
}

/** Decks · Images · Videos: the tools beside the writing ones, as cards. */
export function MediaPicker({ selected, onSelect }: Props) {
  const t = useT();
  return (
    <ul className="tool-grid" aria-label={t('create.media.label')} data-testid="media-picker">
      {MEDIA_TOOLS.map((tool) => {
        const current = tool === selected;
        const Icon = ICONS[tool];
        return (
          <li key={tool}>
            <button
              type="button"
              className={`tool-card${current ? ' selected' : ''}`}
              aria-pressed={current}
              data-testid="media-card"
              data-tool={tool}
              onClick={() => onSelect(tool)}
            >
              <span className="tool-card-name" data-testid="media-name">
                <Icon /> {t(`create.media.${tool}.name`)}
              </span>
              <span className="tool-card-description">{t(`create.media.${tool}.description`)}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
