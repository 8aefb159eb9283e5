import { useEffect, useRef } from 'react';
import type { SignInProvider } from '../../api/remote';
import { useT } from '../../i18n';
import { providerName, type BrowserStep } from './browserSignIn';
import { useBrowserSignIn, useServerProviders } from './useBrowserSignIn';

export interface BrowserSignInViewProps {
  providers: readonly SignInProvider[];
  step: BrowserStep;
  /** The password sign-in is under way. */
  disabled: boolean;
  onStart: (provider: string) => void;
  onOpenAgain: () => void;
  onCancel: () => void;
  onRetry: () => void;
}

/**
 * Under the password form: "or", then a "Sign in with {name}" button per provider of the server;
 * while the browser is out, what to do there, Open the page again and Cancel; then signed in, or
 * why not with Try again. Nothing when the server offers no provider.
 */
export function BrowserSignInView(p: BrowserSignInViewProps) {
  const t = useT();
  const { step } = p;
  const root = useRef<HTMLDivElement>(null);
  // The button pressed is gone (or disabled) once the browser is out or the sign-in failed: keyboard
  // users go on from the panel's first action instead of the top of the page.
  useEffect(() => {
    const el = root.current;
    if (!el || (step.kind !== 'waiting' && step.kind !== 'failed')) return;
    const active = document.activeElement;
    if (!active || active === document.body || el.contains(active)) el.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }, [step.kind]);
  if (step.kind === 'idle' && p.providers.length === 0) return null;
  const name = (id: string) => providerName(p.providers, id);
  return (
    <div ref={root} className="oauth-options conn-browser" role="group" aria-label={t('connection.browser.optionsLabel')} data-testid="conn-browser" data-step={step.kind}>
      <p className="oauth-or">
        <span>{t('oauth.or')}</span>
      </p>

      {step.kind === 'waiting' && (
        <div className="conn-browser-panel" data-testid="conn-browser-waiting">
          <p className="conn-browser-title" role="status">
            <span className="spinner spinner-sm" aria-hidden="true" /> {t('connection.browser.waiting')}
          </p>
          <p className="muted">{t('connection.browser.waitingHint', { name: name(step.attempt.provider) })}</p>
          {step.error && (
            <p className="form-error" role="alert" data-testid="conn-browser-cancel-error">
              {step.error}
            </p>
          )}
          <div className="conn-actions">
            <button type="button" className="button secondary" onClick={p.onOpenAgain} disabled={step.cancelling} data-autofocus="" data-testid="conn-browser-open-again">
              {t('connection.browser.openAgain')}
            </button>
            <button type="button" className="button secondary" onClick={p.onCancel} disabled={step.cancelling} data-testid="conn-browser-cancel">
              {step.cancelling ? t('connection.browser.cancelling') : t('common.cancel')}
            </button>
          </div>
        </div>
      )}

      {step.kind === 'signed_in' && (
        <p className="conn-message conn-message-ok" role="status" data-testid="conn-browser-signed-in">
          {t('connection.browser.signedIn', { name: name(step.attempt.provider) })}
        </p>
      )}

      {step.kind === 'failed' && (
        <div className="conn-browser-panel" data-testid="conn-browser-failed">
          <p className="form-error" role="alert">
            {t('connection.browser.failed', { name: name(step.provider) })}{' '}
            <span data-testid="conn-browser-failed-message">{step.message}</span>
          </p>
          <div className="conn-actions">
            <button type="button" className="button secondary" onClick={p.onRetry} disabled={p.disabled} data-autofocus="" data-testid="conn-browser-retry">
              {t('common.tryAgain')}
            </button>
          </div>
        </div>
      )}

      {(step.kind === 'idle' || step.kind === 'starting' || step.kind === 'failed') &&
        p.providers.map((provider) => (
          <button
            key={provider.id}
            type="button"
            className="button secondary oauth-button"
            onClick={() => p.onStart(provider.id)}
            disabled={p.disabled || step.kind === 'starting'}
            data-testid={`conn-browser-provider-${provider.id}`}
          >
            {step.kind === 'starting' && step.provider === provider.id
              ? t('connection.browser.starting', { name: provider.name })
              : t('connection.browser.signInWith', { name: provider.name })}
          </button>
        ))}
    </div>
  );
}

/** The browser sign-in for the server address typed in the form (`disabled`: a password sign-in is under way). */
export function BrowserSignIn({ serverUrl: typed, disabled }: { serverUrl: string; disabled: boolean }) {
  const { serverUrl, providers } = useServerProviders(typed);
  const { step, flow } = useBrowserSignIn();
  return (
    <BrowserSignInView
      providers={providers}
      step={step}
      disabled={disabled}
      onStart={(provider) => {
        if (serverUrl) void flow.start({ server_url: serverUrl, provider });
      }}
      onOpenAgain={() => void flow.openAgain()}
      onCancel={() => void flow.cancel()}
      onRetry={() => void flow.retry()}
    />
  );
}
