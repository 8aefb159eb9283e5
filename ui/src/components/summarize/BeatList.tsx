import { useRef, useState, type KeyboardEvent } from 'react';
import type { Beat } from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { BEAT_KIND_LABELS, beatKeyCommand, formatSpan, moveIndex } from '../../lib/summarize';

/**
 * The beat sheet: each beat with its kind and `mm:ss–mm:ss`. j / k (or ↓ / ↑) move between beats,
 * as in the review queue; the beat in focus is the current one.
 */
export function BeatList({ beats }: { beats: readonly Beat[] }) {
  const t = useT();
  useLocale();
  const [current, setCurrent] = useState(0);
  const itemsRef = useRef<(HTMLLIElement | null)[]>([]);

  if (beats.length === 0) {
    return (
      <p className="muted" data-testid="beats-empty">
        {t('summarize.result.noBeats')}
      </p>
    );
  }

  function onKeyDown(e: KeyboardEvent<HTMLOListElement>) {
    const cmd = beatKeyCommand(e);
    if (!cmd) return;
    e.preventDefault();
    const next = moveIndex(current, cmd, beats.length);
    setCurrent(next);
    itemsRef.current[next]?.focus();
  }

  return (
    <>
      <p className="toolbar-hint" data-testid="beats-hint">
        {t('summarize.result.beatsHint')}
      </p>
      <ol className="beat-list" aria-label={t('summarize.result.beats')} data-testid="beat-list" onKeyDown={onKeyDown}>
        {beats.map((b, i) => (
          <li
            key={i}
            ref={(el) => {
              itemsRef.current[i] = el;
            }}
            className={`beat beat-${b.kind}${i === current ? ' current' : ''}`}
            tabIndex={i === current ? 0 : -1}
            aria-current={i === current ? 'true' : undefined}
            data-testid="beat"
            data-kind={b.kind}
            onFocus={() => setCurrent(i)}
          >
            <div className="beat-head">
              <span className={`badge beat-kind beat-kind-${b.kind}`} data-testid="beat-kind">
                {BEAT_KIND_LABELS[b.kind] ?? b.kind}
              </span>
              <span className="beat-time" data-testid="beat-time">
                {formatSpan(b.start_ms, b.end_ms)}
              </span>
            </div>
            <p className="beat-text">{b.text}</p>
          </li>
        ))}
      </ol>
    </>
  );
}
