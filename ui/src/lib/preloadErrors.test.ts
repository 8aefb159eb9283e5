import { describe, expect, it } from 'vitest';
import { PRELOAD_ERROR_EVENT, tolerateStylesheetPreloadErrors } from './preloadErrors';

function preloadError(message: string): Event & { payload: Error } {
  const event = new Event(PRELOAD_ERROR_EVENT, { cancelable: true }) as Event & { payload: Error };
  event.payload = new Error(message);
  return event;
}

describe('tolerateStylesheetPreloadErrors', () => {
  it('cancels a failed stylesheet preload (Vite then imports the chunk instead of throwing) and logs it', () => {
    const target = new EventTarget();
    const logged: string[] = [];
    tolerateStylesheetPreloadErrors(target, (m) => logged.push(m));
    const event = preloadError('Unable to preload CSS for http://127.0.0.1:4000/assets/providers-B.css');
    target.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('providers-B.css');
  });

  it('leaves any other preload failure to Vite, which throws it', () => {
    const target = new EventTarget();
    const logged: string[] = [];
    tolerateStylesheetPreloadErrors(target, (m) => logged.push(m));
    const event = preloadError('Failed to fetch dynamically imported module: /assets/App-C.js');
    target.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
    expect(logged).toEqual([]);
  });
});
