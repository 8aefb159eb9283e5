import { useEffect, useState } from 'react';
import { listOAuthProviders, oauthStartUrl, returnToFor, type OAuthFailure, type OAuthIdentity, type OAuthProvider } from '../../api/oauth';
import { useOAuthIdentities, useOAuthProviders } from '../../api/queries';
import { useLocale, useT } from '../../i18n';
import { formatDate } from '../../lib/format';
import { errorMessage } from '../../transport';
import { oauthErrorText, startOAuthLink } from './oauthActions';

/** The page's hash route (`#/…`), "" outside a browser. */
export const currentHash = () => (typeof window === 'undefined' ? '' : window.location.hash);

/** A failed OAuth sign-in, said above the sign-in form (the form still works). */
export function OAuthErrorNotice({ error }: { error: OAuthFailure | null | undefined }) {
  useLocale(); // the text is the catalogue's in other languages: say it again on a switch
  if (!error) return null;
  return (
    <p className="form-error oauth-error" role="alert" data-testid="oauth-error" data-code={error.code}>
      {oauthErrorText(error)}
    </p>
  );
}

/**
 * "Continue with {name}", one per configured provider: plain links (the sign-in is a full page
 * navigation through the server and the provider). Nothing when no provider is configured.
 */
export function OAuthProviderButtons({ providers, returnTo }: { providers: readonly OAuthProvider[]; returnTo: string }) {
  const t = useT();
  if (providers.length === 0) return null;
  return (
    <div className="oauth-options" data-testid="oauth-options">
      <p className="oauth-or">
        <span>{t('oauth.or')}</span>
      </p>
      {providers.map((p) => (
        <a key={p.id} className="button secondary oauth-button" href={oauthStartUrl(p.id, returnTo)} data-testid={`oauth-provider-${p.id}`}>
          {t('oauth.continueWith', { name: p.name })}
        </a>
      ))}
    </div>
  );
}

/**
 * The configured providers for the sign-in pages, read once from the server; none while loading
 * and none when the read fails (the password form is all there is then). `known` skips the read.
 */
export function useSignInProviders(known?: readonly OAuthProvider[]): readonly OAuthProvider[] {
  const [list, setList] = useState<readonly OAuthProvider[]>(known ?? []);
  useEffect(() => {
    if (known) return;
    let live = true;
    listOAuthProviders().then(
      (providers) => live && setList(providers),
      () => live && setList([]),
    );
    return () => {
      live = false;
    };
  }, [known]);
  return known ?? list;
}

/** The provider buttons under a sign-in or sign-up form, back to `returnTo` (default: this page's route). */
export function OAuthSignInOptions({ providers, returnTo }: { providers?: readonly OAuthProvider[] | undefined; returnTo?: string | undefined }) {
  const list = useSignInProviders(providers);
  return <OAuthProviderButtons providers={list} returnTo={returnTo ?? returnToFor(currentHash())} />;
}

export interface OAuthMethodsViewProps {
  /** The providers the instance offers. */
  providers: readonly OAuthProvider[];
  /** The providers linked to this account. */
  identities: readonly OAuthIdentity[];
  /** The provider a link is being started for (its button says so; the others wait). */
  busy: string | null;
  error: string | null;
  onLink: (p: OAuthProvider) => void;
}

/**
 * The account page's "Sign-in methods": the linked providers (email, verified or not) and a
 * "Link {name}" button for each offered provider not linked yet. Nothing on an instance without
 * OAuth (no provider offered, none linked).
 */
export function OAuthMethodsView({ providers, identities, busy, error, onLink }: OAuthMethodsViewProps) {
  const t = useT();
  const locale = useLocale();
  if (providers.length === 0 && identities.length === 0 && !error) return null;
  const linked = new Set(identities.map((i) => i.provider));
  const unlinked = providers.filter((p) => !linked.has(p.id));
  const nameOf = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
  return (
    <section className="panel account-section" data-testid="oauth-methods">
      <h2>{t('oauth.methods')}</h2>
      <p className="muted oauth-intro">{t('oauth.methodsIntro')}</p>
      {error && (
        <p className="form-error oauth-link-error" role="alert" data-testid="oauth-link-error">
          {error}
        </p>
      )}
      {identities.length === 0 ? (
        <p className="muted oauth-none" data-testid="oauth-none-linked">
          {t('oauth.noneLinked')}
        </p>
      ) : (
        <ul className="oauth-identities">
          {identities.map((i) => (
            <li key={i.provider} className="oauth-identity" data-testid={`oauth-identity-${i.provider}`}>
              <strong>{nameOf(i.provider)}</strong>
              <span className="oauth-email">{i.email ?? t('oauth.noEmail')}</span>
              {i.email &&
                (i.email_verified ? (
                  <span className="badge badge-verified" data-testid={`oauth-verified-${i.provider}`}>
                    {t('oauth.verified')}
                  </span>
                ) : (
                  <span className="badge badge-unverified" data-testid={`oauth-unverified-${i.provider}`}>
                    {t('oauth.unverified')}
                  </span>
                ))}
              {i.created_at && formatDate(i.created_at, locale) && (
                <span className="muted oauth-since">{t('oauth.linkedOn', { date: formatDate(i.created_at, locale) })}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {unlinked.length > 0 && (
        <div className="oauth-link-buttons">
          {unlinked.map((p) => (
            <button key={p.id} type="button" className="button secondary" disabled={busy !== null} onClick={() => onLink(p)} data-testid={`oauth-link-${p.id}`}>
              {busy === p.id ? t('oauth.linking', { name: p.name }) : t('oauth.link', { name: p.name })}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

type MethodsError = { kind: 'redirect'; failure: OAuthFailure } | { kind: 'thrown'; error: unknown };

/**
 * The account page's section, with its data: `redirectError` is a link that came back failed
 * (`#/account?oauth_error=…`). Linking navigates away to the provider; a refusal is said here.
 */
export function OAuthMethodsSection({ redirectError }: { redirectError?: OAuthFailure | null | undefined }) {
  const providers = useOAuthProviders();
  const identities = useOAuthIdentities();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<MethodsError | null>(redirectError ? { kind: 'redirect', failure: redirectError } : null);
  useLocale(); // errors read the active language

  async function link(p: OAuthProvider) {
    if (busy) return;
    setBusy(p.id);
    setError(null);
    try {
      await startOAuthLink(p.id);
      // On its way to the provider: the button keeps saying so until the page goes.
    } catch (e) {
      setBusy(null);
      setError({ kind: 'thrown', error: e });
    }
  }

  return (
    <OAuthMethodsView
      providers={providers.data ?? []}
      identities={identities.data ?? []}
      busy={busy}
      error={error ? (error.kind === 'redirect' ? oauthErrorText(error.failure) : errorMessage(error.error)) : null}
      onLink={(p) => void link(p)}
    />
  );
}
