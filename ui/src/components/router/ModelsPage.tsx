import { useQueryClient } from '@tanstack/react-query';
import { loadOf } from '../../api/load';
import { keys, useRouterModels } from '../../api/queries';
import type { RouterModel } from '../../api/router';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { KIND_LABELS, priceLabel } from '../../lib/providers';
import { AlertIcon } from '../Icons';
import { Playground } from './Playground';
import './router.css';

/** The model router's catalog (`GET /v1/models`: the models this person may call) and a playground. */
export function ModelsPage() {
  const t = useT();
  const queryClient = useQueryClient();
  const models = loadOf(useRouterModels());
  return (
    <div className="page router-page" data-testid="models-page">
      <header className="page-header">
        <div>
          <h1>{t('routerModels.title')}</h1>
          <p className="page-subtitle">
            <Trans i18n={i18n} t={t} i18nKey="routerModels.subtitle" components={{ code: <code /> }} />
          </p>
        </div>
      </header>
      {models.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {models.kind === 'error' && (
        <section className="panel">
          <div className="load-error" role="alert" data-testid="models-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('routerModels.loadFailed')}</h2>
              <p>{models.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.router.models })}>
              {t('common.tryAgain')}
            </button>
          </div>
        </section>
      )}
      {models.kind === 'ready' && (
        <>
          <Catalog models={models.data.data} />
          <Playground models={models.data.data.filter((m) => m.kind === 'llm')} />
        </>
      )}
    </div>
  );
}

function Catalog({ models }: { models: RouterModel[] }) {
  const t = useT();
  useLocale();
  return (
    <section className="panel router-section" aria-labelledby="catalog-title">
      <h2 id="catalog-title">{t('routerModels.catalog')}</h2>
      {models.length === 0 ? (
        <p className="muted" data-testid="no-router-models">
          {t('routerModels.none')}
        </p>
      ) : (
        <table className="data-table" data-testid="router-models">
          <thead>
            <tr>
              <th>{t('routerModels.colModel')}</th>
              <th>{t('routerModels.colKind')}</th>
              <th>{t('routerModels.colProvider')}</th>
              <th>{t('routerModels.colPrice')}</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id} data-testid="router-model-row" data-model={m.id}>
                <td>
                  <code className="cell-strong">{m.id}</code>
                </td>
                <td>{KIND_LABELS[m.kind]}</td>
                <td>{m.owned_by}</td>
                <td data-testid="router-model-price">
                  {priceLabel({ kind: m.kind, credits_cost: m.pricing.credits_in, output_credits_cost: m.pricing.credits_out, unit: m.pricing.unit })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
