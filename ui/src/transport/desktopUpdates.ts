/**
 * Desktop updates (docs/API-UPDATES.md): the shell (src-tauri/src/updates.rs) asks the linked
 * team server for a newer build through tauri-plugin-updater, which verifies its signature before
 * installing. The UI asks once at start (`check_for_updates`), hears the Help menu's checks as
 * events, and installs only when the person agrees (`install_update`).
 */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { ListenFn } from './desktopEvents';

export const UPDATE_AVAILABLE_EVENT = 'update-available';
export const UPDATE_STATUS_EVENT = 'update-status';

/** A newer build the shell found. */
export interface UpdateInfo {
  version: string;
  current_version: string;
  notes?: string | null;
  date?: string | null;
}

/** The answer to a check the person asked for from the menu, when it found nothing new. */
export interface UpdateStatus {
  state: 'up_to_date' | 'not_configured' | 'failed';
  message: string;
}

/** Tauri's `invoke`, or a stand-in in tests. */
export type InvokeFn = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

/** Asks the shell to check now: the newer build, or null when current (or nowhere to ask). */
export function checkForUpdates(invokeFn: InvokeFn = invoke): Promise<UpdateInfo | null> {
  return invokeFn<UpdateInfo | null>('check_for_updates');
}

/** Installs the update the last check found, then the app restarts into it. */
export function installUpdate(invokeFn: InvokeFn = invoke): Promise<void> {
  return invokeFn<void>('install_update');
}

/** Follows the shell's update events; returns the function that stops following them. */
export function listenForUpdates(
  handlers: { onAvailable: (info: UpdateInfo) => void; onStatus: (status: UpdateStatus) => void },
  listenFn: ListenFn = listen,
): () => void {
  const stops: Array<() => void> = [];
  let stopped = false;
  const follow = (event: string, handler: (payload: unknown) => void) => {
    listenFn(event, (e) => handler(e.payload)).then(
      (stop) => (stopped ? stop() : stops.push(stop)),
      () => {},
    );
  };
  follow(UPDATE_AVAILABLE_EVENT, (p) => handlers.onAvailable(p as UpdateInfo));
  follow(UPDATE_STATUS_EVENT, (p) => handlers.onStatus(p as UpdateStatus));
  return () => {
    stopped = true;
    stops.splice(0).forEach((stop) => stop());
  };
}
