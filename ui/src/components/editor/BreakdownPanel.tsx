import type { Breakdown, BreakdownScene } from '../../api/types';
import { useT } from '../../i18n';
import { formatCount, formatDuration } from '../../lib/format';
import { AlertIcon } from '../Icons';

interface Props {
  breakdown: Breakdown | null;
  updating: boolean;
  /** Why the breakdown is not following the text right now (the last good one stays shown). */
  error: string | null;
}


/**
 * Shots in the breakdown. The breakdown stored with a version (GET …/script) has no `shots` list
 * (the shots live in the storyboard), so count the scenes' shot numbers instead.
 */
export function breakdownShotCount(b: Breakdown): number {
  return Math.max(b.shots.length, b.scenes.reduce((n, s) => n + s.shot_numbers.length, 0));
}

export function BreakdownPanel({ breakdown, updating, error }: Props) {
  const t = useT();
  const b = breakdown;
  const sceneTitle = (s: BreakdownScene) => s.heading ?? t('breakdown.untitledScene', { number: s.number });
  return (
    <aside className="breakdown" aria-label={t('breakdown.label')} data-testid="breakdown" aria-busy={updating}>
      <header className="breakdown-header">
        <h2>{t('breakdown.title')}</h2>
        {updating && <span className="spinner spinner-sm" role="status" aria-label={t('breakdown.updating')} />}
      </header>
      {error && (
        <p className="breakdown-error" role="alert" data-testid="breakdown-error">
          <AlertIcon size={14} /> {t('breakdown.notUpdated', { error })}
        </p>
      )}
      {!b ? (
        <p className="muted">{t('breakdown.waiting')}</p>
      ) : (
        <>
          <p className="breakdown-summary" data-testid="breakdown-summary">
            {b.title && <strong className="breakdown-title">{b.title} · </strong>}
            {b.episodes.length > 0 && `${formatCount('episode', b.episodes.length)} · `}
            {formatCount('scene', b.scenes.length)} · {formatCount('shot', breakdownShotCount(b))} ·{' '}
            {formatDuration(b.total_duration_secs)}
          </p>

          <section className="breakdown-section" aria-labelledby="bd-scenes">
            <h3 id="bd-scenes">{t('breakdown.scenes')}</h3>
            {b.scenes.length === 0 ? (
              <p className="muted small">{t('breakdown.noScenes')}</p>
            ) : (
              <ol className="breakdown-scenes" data-testid="breakdown-scenes">
                {b.scenes.map((s) => (
                  <li key={s.number} className="breakdown-scene" data-testid="breakdown-scene" data-scene-number={s.number}>
                    <span className="bd-scene-number">{s.number}</span>
                    <span className="bd-scene-main">
                      <span className="bd-scene-heading" data-testid="breakdown-scene-heading">
                        {s.episode != null && <span className="bd-episode">{t('breakdown.episodeMark', { number: s.episode })}</span>}
                        {sceneTitle(s)}
                      </span>
                      <span className="bd-scene-meta">
                        <span data-testid="breakdown-scene-shots">{formatCount('shot', s.shot_numbers.length)}</span> ·{' '}
                        {formatDuration(s.duration_secs)}
                        {s.characters.length > 0 && ` · ${s.characters.join('、')}`}
                      </span>
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </section>

          <section className="breakdown-section" aria-labelledby="bd-characters">
            <h3 id="bd-characters">{t('breakdown.characters')}</h3>
            {b.characters.length === 0 ? (
              <p className="muted small">{t('breakdown.noCharacters')}</p>
            ) : (
              <ul className="breakdown-characters" data-testid="breakdown-characters">
                {b.characters.map((c) => (
                  <li key={c.name} className="breakdown-character" data-testid="breakdown-character" data-name={c.name}>
                    <span className="bd-character-name" data-testid="breakdown-character-name">
                      {c.name}
                    </span>
                    <span className="bd-character-lines">
                      <span data-testid="character-lines">{c.dialogue_lines}</span>{' '}
                      {t('breakdown.lines', { count: c.dialogue_lines })}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>

          {b.warnings.length > 0 && (
            <section className="breakdown-section" aria-labelledby="bd-warnings">
              <h3 id="bd-warnings">{t('breakdown.warnings')}</h3>
              <ul className="breakdown-warnings" data-testid="breakdown-warnings">
                {b.warnings.map((w, i) => (
                  <li key={i} data-testid="breakdown-warning">
                    <AlertIcon size={13} /> {w}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </aside>
  );
}
