/**
 * Where to go after signing in: an invitation link opened while signed out sends its visitor to
 * sign in or up, then back to the invitation. Kept in sessionStorage (this tab only); only
 * invitation routes are accepted, anything else is ignored.
 */
export const RETURN_TO_KEY = 'storyloom.afterSignIn';

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function defaultStorage(): StorageLike | undefined {
  try {
    return typeof window === 'undefined' ? undefined : window.sessionStorage;
  } catch {
    return undefined;
  }
}

const ALLOWED = /^#\/invite\/[^/]+$/;

export function rememberReturnTo(hash: string, storage: StorageLike | undefined = defaultStorage()): void {
  if (!ALLOWED.test(hash)) return;
  try {
    storage?.setItem(RETURN_TO_KEY, hash);
  } catch {
    // no storage: the visitor opens the link again
  }
}

/** The remembered route (once: it is forgotten as it is read), or null. */
export function takeReturnTo(storage: StorageLike | undefined = defaultStorage()): string | null {
  try {
    const v = storage?.getItem(RETURN_TO_KEY) ?? null;
    storage?.removeItem(RETURN_TO_KEY);
    return v && ALLOWED.test(v) ? v : null;
  } catch {
    return null;
  }
}
