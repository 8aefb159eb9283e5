/**
 * Vite preloads a lazy chunk's stylesheet before importing the chunk, and turns a failed preload
 * into an uncaught error unless the `vite:preloadError` event is cancelled. A stylesheet preload
 * fails when the page reloads or navigates mid-load, or the server restarts at that moment (a
 * browser test caught it: "Unable to preload CSS for …/providers-….css" right after a restart);
 * nothing is broken then, and the import that follows still runs, failing loudly if the code
 * itself cannot be fetched. So a failed stylesheet preload is logged, not thrown.
 */
export const PRELOAD_ERROR_EVENT = 'vite:preloadError';

type PreloadErrorEvent = Event & { payload?: unknown };

export function tolerateStylesheetPreloadErrors(
  target: Pick<EventTarget, 'addEventListener'>,
  log: (message: string) => void = (m) => console.warn(m),
): void {
  target.addEventListener(PRELOAD_ERROR_EVENT, (event) => {
    const error = (event as PreloadErrorEvent).payload;
    if (error instanceof Error && error.message.startsWith('Unable to preload CSS')) {
      event.preventDefault();
      log(`a stylesheet did not preload; the page goes on without waiting for it (${error.message})`);
    }
  });
}
