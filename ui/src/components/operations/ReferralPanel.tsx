import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { generateReferral, useReferralRecords, type ReferralRecords } from '../../api/operations';
import { keys } from '../../api/queries';
import { useLocale, useT } from '../../i18n';
import { copyText } from '../../lib/clipboard';
import { formatCredits } from '../../lib/credits';
import { formatCount, formatDateTime } from '../../lib/format';
import { absoluteReferralUrl, referralUrlFor } from '../../lib/operations';
import { errorMessage } from '../../transport';
import { useAuth } from '../account/AuthContext';
import { Pagination } from '../Pagination';
import './operations.css';

export type CopyState = 'idle' | 'copied' | 'failed';

export interface ReferralViewProps {
  /** One's code and absolute link, once made. */
  link: { code: string; url: string } | null;
  generating: boolean;
  generateError: string | null;
  copy: CopyState;
  onGenerate: () => void;
  onCopy: () => void;
  records: Load<ReferralRecords>;
  onPage: (page: number) => void;
}

/** One's invite link (made on demand, copied with a button) and the friends who signed up with it. */
export function ReferralView(p: ReferralViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="panel credit-section ops-section" aria-labelledby="referral-title" data-testid="referral-panel">
      <h2 id="referral-title">{t('operations.referral.title')}</h2>
      <p className="muted pay-form-note">{t('operations.referral.subtitle')}</p>
      {p.link ? (
        <div className="ops-referral-link">
          <label htmlFor="referral-link">{t('operations.referral.link')}</label>
          <div className="toolbar">
            <input
              id="referral-link"
              className="input ops-link-input"
              readOnly
              value={p.link.url}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="referral-link"
            />
            <button type="button" className="button secondary" onClick={p.onCopy} data-testid="referral-copy">
              {p.copy === 'copied' ? t('operations.referral.copied') : t('operations.referral.copy')}
            </button>
          </div>
          <p className="muted" data-testid="referral-code">
            {t('operations.referral.code', { code: p.link.code })}
          </p>
          {p.copy === 'failed' && (
            <p className="form-error" role="alert" data-testid="referral-copy-failed">
              {t('operations.referral.copyFailed')}
            </p>
          )}
        </div>
      ) : (
        <button type="button" className="button primary" disabled={p.generating} onClick={p.onGenerate} data-testid="referral-generate">
          {p.generating ? t('operations.referral.generating') : t('operations.referral.generate')}
        </button>
      )}
      {p.generateError && (
        <p className="form-error" role="alert" data-testid="referral-error">
          {p.generateError}
        </p>
      )}

      <div className="credit-chart-head">
        <h3>{t('operations.referral.records')}</h3>
        {p.records.kind === 'ready' && (
          <span className="muted" data-testid="referral-total-rewards" data-credits={p.records.data.total_rewards}>
            {t('operations.referral.totalRewards', { credits: formatCount('credit', p.records.data.total_rewards) })}
          </span>
        )}
      </div>
      {p.records.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {p.records.kind === 'error' && (
        <p className="form-error" role="alert" data-testid="referral-records-error">
          {t('operations.referral.loadFailed')}: {p.records.message}
        </p>
      )}
      {p.records.kind === 'ready' && p.records.data.items.length === 0 && (
        <p className="muted" data-testid="referral-none">
          {t('operations.referral.none')}
        </p>
      )}
      {p.records.kind === 'ready' && p.records.data.items.length > 0 && (
        <>
          <table className="credit-table" data-testid="referral-records">
            <thead>
              <tr>
                <th>{t('operations.referral.colUser')}</th>
                <th>{t('operations.referral.colJoined')}</th>
                <th>{t('operations.referral.colStatus')}</th>
                <th className="num">{t('operations.referral.colReward')}</th>
                <th>{t('operations.referral.colRewarded')}</th>
              </tr>
            </thead>
            <tbody>
              {p.records.data.items.map((r) => (
                <tr key={r.id} data-testid="referral-row" data-status={r.status}>
                  <td className="cell-strong">{r.referred_user}</td>
                  <td>{formatDateTime(r.created_at, locale)}</td>
                  <td>
                    <span className={`badge ops-referral-${r.status}`}>{t(`operations.referral.status.${r.status}`)}</span>
                  </td>
                  <td className="num">{formatCredits(r.reward_amount)}</td>
                  <td>{r.rewarded_at ? formatDateTime(r.rewarded_at, locale) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={p.records.data.page} totalPages={p.records.data.totalPages} total={p.records.data.total} limit={p.records.data.limit} onPage={p.onPage} />
        </>
      )}
    </section>
  );
}

const PAGE_SIZE = 10;

/** The page's origin, for a relative referral link (none outside a browser). */
const origin = () => (typeof window === 'undefined' ? '' : window.location.origin);

/** The Credits page's referral section (accounts mode). */
export function ReferralPanel() {
  const auth = useAuth();
  const queryClient = useQueryClient();
  const known = auth?.user.referral_code;
  const [link, setLink] = useState<ReferralViewProps['link']>(known ? { code: known, url: referralUrlFor(known, origin()) } : null);
  const [generating, setGenerating] = useState(false);
  const [generateError, setGenerateError] = useState<string | null>(null);
  const [copy, setCopy] = useState<CopyState>('idle');
  const [page, setPage] = useState(1);
  const records = loadOf(useReferralRecords({ page, limit: PAGE_SIZE }));

  async function generate() {
    setGenerating(true);
    setGenerateError(null);
    try {
      const r = await generateReferral();
      setLink({ code: r.referral_code, url: absoluteReferralUrl(r.referral_url, origin()) });
      if (auth) auth.setUser({ ...auth.user, referral_code: r.referral_code });
      void queryClient.invalidateQueries({ queryKey: keys.operations.referralsAll });
    } catch (e) {
      setGenerateError(errorMessage(e));
    } finally {
      setGenerating(false);
    }
  }

  return (
    <ReferralView
      link={link}
      generating={generating}
      generateError={generateError}
      copy={copy}
      onGenerate={() => void generate()}
      onCopy={() => {
        if (link) void copyText(link.url).then((ok) => setCopy(ok ? 'copied' : 'failed'));
      }}
      records={records}
      onPage={setPage}
    />
  );
}
