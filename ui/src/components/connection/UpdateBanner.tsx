import { useEffect, useState } from 'react';
import { useT } from '../../i18n';
import { checkForUpdates, installUpdate, listenForUpdates, type UpdateInfo } from '../../transport/desktopUpdates';
import { useToasts } from '../Toasts';

/** The check at start waits for the first screen, so it never slows it. */
const START_CHECK_DELAY_MS = 1500;

export type InstallPhase = 'idle' | 'installing' | 'failed';

/** The banner for an available update (rendered by tests too). */
export function UpdateBannerView({
  info,
  phase,
  error,
  onInstall,
  onLater,
}: {
  info: UpdateInfo;
  phase: InstallPhase;
  error?: string | null;
  onInstall: () => void;
  onLater: () => void;
}) {
  const t = useT();
  return (
    <div className="update-banner" role="status" data-testid="update-banner" data-version={info.version}>
      <div className="update-banner-text">
        <strong data-testid="update-version">{t('update.available', { version: info.version })}</strong>{' '}
        <span>{t('update.current', { version: info.current_version })}</span>
        {info.notes ? <p className="update-banner-notes">{info.notes}</p> : null}
        {phase === 'failed' && error ? (
          <p className="update-banner-error" role="alert">
            {t('update.failed', { reason: error })}
          </p>
        ) : null}
      </div>
      <div className="update-banner-actions">
        <button type="button" className="button primary button-sm" data-testid="update-install" disabled={phase === 'installing'} onClick={onInstall}>
          {phase === 'installing' ? t('update.installing') : t('update.install')}
        </button>
        <button type="button" className="button secondary button-sm" data-testid="update-later" disabled={phase === 'installing'} onClick={onLater}>
          {t('update.later')}
        </button>
      </div>
    </div>
  );
}

/**
 * The desktop app's update offer: checks once after start, and shows what the Help menu's
 * "Check for Updates…" finds. Nothing is installed until the person says so.
 */
export function UpdateBanner() {
  const t = useT();
  const toasts = useToasts();
  const [info, setInfo] = useState<UpdateInfo | null>(null);
  const [phase, setPhase] = useState<InstallPhase>('idle');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      checkForUpdates().then(
        (found) => found && setInfo(found),
        () => {}, // a check at start that fails stays quiet (the shell logs it)
      );
    }, START_CHECK_DELAY_MS);
    const stop = listenForUpdates({
      onAvailable: (found) => {
        setInfo(found);
        setPhase('idle');
      },
      onStatus: (status) =>
        toasts.show({
          kind: status.state === 'failed' ? 'error' : 'info',
          message: status.state === 'up_to_date' ? t('update.upToDate') : status.message,
        }),
    });
    return () => {
      window.clearTimeout(timer);
      stop();
    };
  }, [t, toasts]);

  if (!info) return null;
  return (
    <UpdateBannerView
      info={info}
      phase={phase}
      error={error}
      onInstall={() => {
        setPhase('installing');
        setError(null);
        installUpdate().catch((e: unknown) => {
          setPhase('failed');
          setError(e instanceof Error ? e.message : String(e));
        });
      }}
      onLater={() => setInfo(null)}
    />
  );
}
