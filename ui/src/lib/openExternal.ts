/**
 * Opens a web page outside the app: on the desktop in the system browser (Tauri's opener
 * plugin; a webview window would not be the person's browser, with its saved logins and wallets),
 * elsewhere in a new tab. Behind this one function so tests can stub it.
 */
import { openUrl } from '@tauri-apps/plugin-opener';
import { getTransport } from '../transport';

export interface WindowLike {
  open(url: string, target: string, features: string): unknown;
}

export async function openExternal(url: string, win: WindowLike | undefined = typeof window === 'undefined' ? undefined : window): Promise<void> {
  if (getTransport().kind === 'desktop') {
    await openUrl(url);
    return;
  }
  win?.open(url, '_blank', 'noopener');
}
