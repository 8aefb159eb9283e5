import { useEffect, useRef, useState } from 'react';
import { seekTime, shotAt, type TimedShot } from '../../lib/exportPlayer';
import { useT } from '../../i18n';
import { AlertIcon } from '../Icons';

/** An object URL for `text` (revoked when it changes or the component goes), or null. */
export function useObjectUrl(text: string | null, type: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (text === null) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(new Blob([text], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [text, type]);
  return url;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The player, large enough to judge the cut, with the shot list beside it: clicking a shot seeks the
 * video to its start; the shot on screen is marked as the video plays.
 */
export function ExportPlayer({
  url,
  error,
  onRetry,
  aspect,
  shots,
  vtt,
  testId,
  dataId,
}: {
  url: string | null;
  error: string | null;
  onRetry?: () => void;
  aspect: string;
  shots: TimedShot[];
  vtt?: string | null;
  testId: string;
  dataId: string;
}) {
  const t = useT();
  const videoRef = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const onScreen = shotAt(shots, time);
  function seek(shot: TimedShot) {
    const v = videoRef.current;
    if (!v) return;
    const at = seekTime(shot);
    v.currentTime = at;
    setTime(at);
  }
  return (
    <div className="export-theatre" data-testid={`${testId}-theatre`}>
      <div className={`export-player aspect-${aspect.replace(':', 'x')}`}>
        {url ? (
          <video
            ref={videoRef}
            controls
            preload="auto"
            src={url}
            data-testid={testId}
            data-export-id={dataId}
            onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
            onSeeked={(e) => setTime(e.currentTarget.currentTime)}
          >
            {vtt && <track kind="subtitles" label={t('exportDialog.subtitles')} srcLang="zh" src={vtt} default />}
          </video>
        ) : error ? (
          <div className="export-player-msg" role="alert">
            <AlertIcon /> {t('exportDialog.videoLoadFailed', { error })}
            {onRetry && (
              <button type="button" className="button secondary button-sm" onClick={onRetry}>
                {t('common.tryAgain')}
              </button>
            )}
          </div>
        ) : (
          <span className="spinner" role="status" aria-label={t('exportDialog.loadingVideo')} />
        )}
      </div>
      {shots.length > 0 && (
        <ol className="export-shot-list" aria-label={t('exportDialog.shots')} data-testid={`${testId}-shots`}>
          {shots.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={`export-shot${onScreen?.id === s.id ? ' current' : ''}`}
                data-testid="export-shot"
                data-shot-id={s.id}
                data-start={s.start}
                aria-current={onScreen?.id === s.id ? 'true' : undefined}
                disabled={!url}
                onClick={() => seek(s)}
                title={t('exportDialog.playFrom', { number: s.number, time: clock(s.start) })}
              >
                <span className="export-shot-number">#{s.number}</span>
                <span className="export-shot-time">{clock(s.start)}</span>
                <span className="export-shot-label">{s.label}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
