import type { StatusFilter } from '../api/projects';
import type { Project } from '../api/types';
import { statusLabel } from '../lib/format';
import { FilmIcon, PlusIcon } from './Icons';
import { SamplesList } from './SamplesList';

interface Props {
  filter: StatusFilter;
  /** A reviewer or viewer: nothing to create here. */
  readOnly?: boolean;
  onCreate: () => void;
  onShowAll: () => void;
  onSampleOpened: (project: Project) => void;
  onError: (message: string) => void;
}

export function EmptyState({ filter, readOnly = false, onCreate, onShowAll, onSampleOpened, onError }: Props) {
  if (filter !== 'all') {
    return (
      <div className="empty-state" data-testid="empty-state" data-variant="filtered">
        <div className="empty-art" aria-hidden="true">
          <FilmIcon size={28} />
        </div>
        <h2>No {statusLabel(filter).toLowerCase()} projects</h2>
        <p>Projects move between statuses as you work on them.</p>
        <button type="button" className="button secondary" onClick={onShowAll} data-testid="show-all">
          Show all projects
        </button>
      </div>
    );
  }
  if (readOnly) {
    return (
      <div className="empty-state" data-testid="empty-state" data-variant="read-only">
        <div className="empty-art" aria-hidden="true">
          <FilmIcon size={28} />
        </div>
        <h2>No projects here yet</h2>
        <p>Projects an editor creates in this workspace will appear here.</p>
      </div>
    );
  }
  return (
    <div className="empty-state" data-testid="empty-state" data-variant="first-run">
      <div className="empty-art" aria-hidden="true">
        <FilmIcon size={28} />
      </div>
      <h2>Start your first short drama</h2>
      <p>A project holds the script, characters and scenes of one story. Create one to get going.</p>
      <button type="button" className="button primary" onClick={onCreate} data-testid="empty-new-project">
        <PlusIcon />
        Create your first project
      </button>
      <p className="hint">
        or press <kbd>N</kbd>
      </p>
      <section className="empty-samples" aria-labelledby="empty-samples-title" data-testid="empty-samples">
        <h3 id="empty-samples-title">Or start from a sample script</h3>
        <SamplesList onOpened={onSampleOpened} onError={onError} />
      </section>
    </div>
  );
}
