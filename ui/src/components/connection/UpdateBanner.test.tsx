import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { checkForUpdates, installUpdate, listenForUpdates, UPDATE_AVAILABLE_EVENT, UPDATE_STATUS_EVENT, type InvokeFn } from '../../transport/desktopUpdates';
import type { ListenFn } from '../../transport/desktopEvents';
import { UpdateBannerView } from './UpdateBanner';

const info = { version: '1.4.0', current_version: '1.3.2', notes: 'Faster exports' };

describe('UpdateBannerView', () => {
  it('offers the new version with its notes, to install or put off', () => {
    const html = renderToStaticMarkup(<UpdateBannerView info={info} phase="idle" onInstall={() => {}} onLater={() => {}} />);
    expect(html).toContain('data-version="1.4.0"');
    expect(html).toContain('Storyloom 1.4.0 is available.');
    expect(html).toContain('You have 1.3.2.');
    expect(html).toContain('Faster exports');
    expect(html).toContain('Install and restart');
    expect(html).not.toContain('disabled');
  });

  it('locks its buttons while installing, and says why an install failed', () => {
    const busy = renderToStaticMarkup(<UpdateBannerView info={info} phase="installing" onInstall={() => {}} onLater={() => {}} />);
    expect(busy).toContain('Installing…');
    expect(busy.match(/disabled=""/g)).toHaveLength(2);
    const failed = renderToStaticMarkup(
      <UpdateBannerView info={info} phase="failed" error="signature mismatch" onInstall={() => {}} onLater={() => {}} />,
    );
    expect(failed).toContain('role="alert"');
    expect(failed).toContain('signature mismatch');
  });
});

describe('desktop update calls', () => {
  it('checks and installs through the shell’s commands', async () => {
    const calls: string[] = [];
    const invokeFn = vi.fn(async (command: string) => {
      calls.push(command);
      return command === 'check_for_updates' ? info : undefined;
    }) as unknown as InvokeFn;
    await expect(checkForUpdates(invokeFn)).resolves.toEqual(info);
    await installUpdate(invokeFn);
    expect(calls).toEqual(['check_for_updates', 'install_update']);
  });

  it('hears the menu’s checks as events and stops hearing them', async () => {
    const handlers = new Map<string, (e: { payload: unknown }) => void>();
    const unlisten = vi.fn();
    const listenFn: ListenFn = (event, h) => {
      handlers.set(event, h);
      return Promise.resolve(unlisten);
    };
    const available: unknown[] = [];
    const statuses: unknown[] = [];
    const stop = listenForUpdates({ onAvailable: (i) => available.push(i), onStatus: (s) => statuses.push(s) }, listenFn);
    await Promise.resolve();
    handlers.get(UPDATE_AVAILABLE_EVENT)!({ payload: info });
    handlers.get(UPDATE_STATUS_EVENT)!({ payload: { state: 'up_to_date', message: 'ok' } });
    expect(available).toEqual([info]);
    expect(statuses).toEqual([{ state: 'up_to_date', message: 'ok' }]);
    stop();
    expect(unlisten).toHaveBeenCalledTimes(2);
  });
});
