import type { Load } from '../../api/load';
import type { Page } from '../../api/types';
import { useT } from '../../i18n';

/**
 * What an admin list shows instead of its table: a spinner while loading, the error, or `none`
 * when it is empty (`{testId}-error`, `{testId}-none`). Null once there are rows to show.
 */
export function ListState<T>({ load, testId, none }: { load: Load<Page<T>>; testId: string; none: string }) {
  const t = useT();
  if (load.kind === 'loading') return <span className="spinner" role="status" aria-label={t('common.loading')} />;
  if (load.kind === 'error') {
    return (
      <p className="form-error" role="alert" data-testid={`${testId}-error`}>
        {load.message}
      </p>
    );
  }
  if (load.data.items.length === 0) {
    return (
      <p className="muted" data-testid={`${testId}-none`}>
        {none}
      </p>
    );
  }
  return null;
}
