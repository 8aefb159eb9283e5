import type { StatusFilter } from '../api/projects';
import type { Project } from '../api/types';
import { Trans, i18n, useT } from '../i18n';
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
  const t = useT();
  if (filter !== 'all') {
    return (
      <div className="empty-state" data-testid="empty-state" data-variant="filtered">
        <div className="empty-art" aria-hidden="true">
          <FilmIcon size={28} />
        </div>
        <h2>{t('empty.filteredTitle', { status: statusLabel(filter).toLowerCase() })}</h2>
        <p>{t('empty.filteredBody')}</p>
        <button type="button" className="button secondary" onClick={onShowAll} data-testid="show-all">
          {t('empty.showAll')}
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
        <h2>{t('empty.readOnlyTitle')}</h2>
        <p>{t('empty.readOnlyBody')}</p>
      </div>
    );
  }
  return (
    <div className="empty-state" data-testid="empty-state" data-variant="first-run">
      <div className="empty-art" aria-hidden="true">
        <FilmIcon size={28} />
      </div>
      <h2>{t('empty.firstTitle')}</h2>
      <p>{t('empty.firstBody')}</p>
      <button type="button" className="button primary" onClick={onCreate} data-testid="empty-new-project">
        <PlusIcon />
        {t('empty.createFirst')}
      </button>
      <p className="hint">
        <Trans i18n={i18n} t={t} i18nKey="empty.orPress" components={{ key: <kbd /> }} />
      </p>
      <section className="empty-samples" aria-labelledby="empty-samples-title" data-testid="empty-samples">
        <h3 id="empty-samples-title">{t('empty.fromSample')}</h3>
        <SamplesList onOpened={onSampleOpened} onError={onError} />
      </section>
    </div>
  );
}
