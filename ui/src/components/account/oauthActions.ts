/**
 * OAuth sign-in's plain logic for the account screens (no React): the text of a failed sign-in or
 * link, and starting a link (ask the server for the provider's address, then go there).
 */
import { isNavigableUrl, linkOAuth, type OAuthFailure } from '../../api/oauth';
import { activeLocale, hasKey, t } from '../../i18n';

/**
 * What to say about a failed OAuth sign-in: the catalogue's words for its code
 * (`oauth.error.<code>`), else a generic sentence.
 */
export function oauthErrorText(e: OAuthFailure, locale: string = activeLocale()): string {
  // Our own words only: the address (and so `oauth_message`) can be written by anyone who sends
  // a crafted link, and an alert on the sign-in page must not say what a stranger chose.
  const key = `oauth.error.${e.code}`;
  return hasKey(key) ? (t(key as never, { lng: locale }) as string) : t('oauth.error.generic', { lng: locale });
}

/** The page's own navigation (a full page load: the provider's sign-in page). */
export function goTo(url: string): void {
  window.location.assign(url);
}

/**
 * Links provider `id` to the signed-in account: `POST /auth/oauth/{id}/link`, then to the
 * provider's page. Rejects (and goes nowhere) when the call fails or the address is not http(s).
 */
export async function startOAuthLink(id: string, go: (url: string) => void = goTo): Promise<void> {
  const answer = await linkOAuth(id);
  const url = answer?.authorize_url;
  if (!isNavigableUrl(url)) throw new Error(t('oauth.badAddress'));
  go(url);
}
