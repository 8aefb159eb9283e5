import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../api/remote';
import { ConnectionBadgeView } from './ConnectionBadge';
import { ConnectionPanelView, type PanelProps } from './ConnectionPage';
import { status } from './fixtures';

const noop = () => undefined;

function render(over: Partial<PanelProps> = {}): string {
  const props: PanelProps = {
    status: status(),
    loadError: null,
    form: { server_url: '', username: '', password: '' },
    errors: {},
    formError: null,
    busy: null,
    onChange: noop,
    onSignIn: noop,
    onCheck: noop,
    onSignOut: noop,
    ...over,
  };
  return renderToStaticMarkup(<ConnectionPanelView {...props} />);
}

const connected: ConnectionStatus = status({
  state: 'connected',
  server_url: 'http://127.0.0.1:8080',
  username: 'alice',
  checked_at: '2026-02-08T10:00:00.000Z',
  message: 'Connected to 127.0.0.1:8080 as alice.',
});

const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);

describe('connection panel', () => {
  it('signed out: the form, no sign-out, the offline badge', () => {
    const html = render();
    expect(html).toContain('data-state="signed_out"');
    expect(has(html, 'connection-form')).toBe(true);
    expect(has(html, 'conn-server_url-input')).toBe(true);
    expect(has(html, 'conn-password-input')).toBe(true);
    expect(html).toContain('type="password"');
    expect(has(html, 'connection-sign-out')).toBe(false);
    expect(has(html, 'connection-check')).toBe(false);
    expect(html).toMatch(/data-testid="connection-state">Offline · local</);
  });

  it('connected: who and where, Check now and Sign out, no form', () => {
    const html = render({ status: connected });
    expect(has(html, 'connection-form')).toBe(false);
    expect(html).toMatch(/data-testid="connection-state">Connected to 127.0.0.1:8080 as alice</);
    expect(html).toMatch(/data-testid="connection-username">alice</);
    expect(html).toMatch(/data-testid="connection-server">http:\/\/127\.0\.0\.1:8080</);
    expect(has(html, 'connection-check')).toBe(true);
    expect(has(html, 'connection-sign-out')).toBe(true);
  });

  it('unreachable: the message and Check now stay available', () => {
    const html = render({
      status: { ...connected, state: 'unreachable', message: 'Cannot reach http://127.0.0.1:8080: refused. Local work goes on.' },
    });
    expect(html).toMatch(/data-testid="connection-state">Server unreachable</);
    expect(html).toContain('Local work goes on');
    expect(html).toMatch(/<button[^>]*data-testid="connection-check"(?![^>]*disabled)/);
    expect(has(html, 'connection-form')).toBe(false);
  });

  it('session expired: sign in again to the same host, and sign out', () => {
    const html = render({
      status: { ...connected, state: 'session_expired', message: '127.0.0.1:8080 ended this session. Sign in again.' },
      form: { server_url: 'http://127.0.0.1:8080', username: 'alice', password: '' },
    });
    expect(html).toMatch(/data-testid="connection-state">Session expired</);
    expect(html).toContain('Sign in to 127.0.0.1:8080 again');
    expect(has(html, 'connection-form')).toBe(true);
    expect(html).toContain('value="alice"');
    expect(has(html, 'connection-sign-out')).toBe(true);
    expect(html).toMatch(/data-testid="connection-check" disabled=""/);
  });

  it("shows each field's error under it, and the form's error", () => {
    const html = render({
      errors: { server_url: 'The address must start with http:// or https://', password: 'Enter your password' },
      formError: 'cannot reach the team server at http://x',
    });
    expect(html).toMatch(/data-testid="conn-field-error-server_url">The address must start with http:\/\/ or https:\/\//);
    expect(html).toMatch(/data-testid="conn-field-error-password">Enter your password/);
    expect(has(html, 'conn-field-error-username')).toBe(false);
    expect(html).toMatch(/id="conn-server_url"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="conn-server_url"/);
    expect(html).toContain('cannot reach the team server at http://x');
  });

  it('says where the sign-in is kept, with the fallback reason', () => {
    expect(render({ status: connected })).toContain('the OS keyring (service app.storyloom.studio)');
    const file = render({
      status: status({
        secret_storage: 'encrypted_file',
        secret_storage_location: '/data/secrets.enc',
        secret_storage_notice: 'No OS keyring service (Secret Service over D-Bus) is running; tokens are kept in an encrypted file at /data/secrets.enc instead.',
      }),
    });
    expect(file).toContain('No OS keyring service');
    expect(file).toContain('/data/secrets.enc');
  });

  it('busy buttons say what they do', () => {
    expect(render({ busy: 'sign-in' })).toContain('Signing in…');
    expect(render({ status: connected, busy: 'check' })).toContain('Checking…');
    expect(render({ status: connected, busy: 'sign-out' })).toContain('Signing out…');
  });
});

describe('badge', () => {
  it('links to the connection page and carries the state', () => {
    const html = renderToStaticMarkup(<ConnectionBadgeView status={connected} />);
    expect(html).toContain('href="#/connection"');
    expect(html).toContain('data-state="connected"');
    expect(html).toContain('conn-badge-ok');
    expect(renderToStaticMarkup(<ConnectionBadgeView status={null} />)).toContain('Offline · local');
  });
});
