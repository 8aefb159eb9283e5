import { useT } from '../i18n';
import { formatNumber, pageWindow } from '../lib/format';
import { ChevronLeftIcon, ChevronRightIcon } from './Icons';

interface Props {
  page: number;
  totalPages: number;
  total: number;
  limit: number;
  onPage: (page: number) => void;
}

export function Pagination({ page, totalPages, total, limit, onPage }: Props) {
  const t = useT();
  if (totalPages <= 1) return null;
  const from = (page - 1) * limit + 1;
  const to = Math.min(total, page * limit);
  return (
    <nav className="pagination" aria-label={t('pagination.label')} data-testid="pagination">
      <span className="pagination-summary" data-testid="pagination-summary">
        {t('pagination.summary', { from: formatNumber(from), to: formatNumber(to), total: formatNumber(total) })}
      </span>
      <div className="pagination-controls">
        <button
          type="button"
          className="icon-button"
          aria-label={t('pagination.previous')}
          data-testid="prev-page"
          disabled={page <= 1}
          onClick={() => onPage(page - 1)}
        >
          <ChevronLeftIcon />
        </button>
        {pageWindow(page, totalPages).map((p, i) =>
          p === null ? (
            <span key={`gap-${i}`} className="pagination-gap" aria-hidden="true">
              …
            </span>
          ) : (
            <button
              key={p}
              type="button"
              className={`page-button${p === page ? ' current' : ''}`}
              aria-current={p === page ? 'page' : undefined}
              aria-label={t('pagination.page', { page: p })}
              data-testid={`page-${p}`}
              onClick={() => onPage(p)}
            >
              {p}
            </button>
          ),
        )}
        <button
          type="button"
          className="icon-button"
          aria-label={t('pagination.next')}
          data-testid="next-page"
          disabled={page >= totalPages}
          onClick={() => onPage(page + 1)}
        >
          <ChevronRightIcon />
        </button>
      </div>
    </nav>
  );
}
