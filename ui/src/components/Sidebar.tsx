import { useEffect, useState } from 'react';
import { getHealth } from '../api/projects';
import { getTransport } from '../transport';
import { FolderIcon, LogoMark } from './Icons';

export type NavSection = 'projects' | 'credits';

type Conn = { state: 'checking' } | { state: 'ok'; version: string } | { state: 'down' };

const HEALTH_INTERVAL_MS = 60_000;

export function Sidebar({ section = 'projects' }: { section?: NavSection }) {
  const [conn, setConn] = useState<Conn>({ state: 'checking' });

  useEffect(() => {
    let ctrl = new AbortController();
    const check = () => {
      ctrl.abort();
      ctrl = new AbortController();
      getHealth(ctrl.signal)
        .then((h) => setConn({ state: 'ok', version: h.version }))
        .catch((e: unknown) => {
          if (e instanceof DOMException && e.name === 'AbortError') return;
          setConn({ state: 'down' });
        });
    };
    check();
    const timer = window.setInterval(check, HEALTH_INTERVAL_MS);
    return () => {
      window.clearInterval(timer);
      ctrl.abort();
    };
  }, []);

  const mode = getTransport().kind === 'desktop' ? 'Desktop' : 'Web';

  return (
    <aside className="sidebar">
      <div className="wordmark" data-testid="wordmark">
        <LogoMark />
        <span>Storyloom</span>
      </div>
      <nav aria-label="Main">
        <ul className="nav-list">
          <li>
            <a
              className={`nav-item${section === 'projects' ? ' active' : ''}`}
              href="#/projects"
              aria-current={section === 'projects' ? 'page' : undefined}
              data-testid="nav-projects"
            >
              <FolderIcon />
              <span>Projects</span>
            </a>
          </li>
          <li>
            <a
              className={`nav-item${section === 'credits' ? ' active' : ''}`}
              href="#/credits"
              aria-current={section === 'credits' ? 'page' : undefined}
              data-testid="nav-credits"
            >
              <span className="nav-glyph" aria-hidden="true">
                ◎
              </span>
              <span>Credits</span>
            </a>
          </li>
        </ul>
      </nav>
      <div className="sidebar-footer" data-testid="connection" data-state={conn.state}>
        <span className={`conn-dot conn-${conn.state}`} aria-hidden="true" />
        <span>
          {conn.state === 'checking' && 'Connecting…'}
          {conn.state === 'ok' && `${mode} · v${conn.version}`}
          {conn.state === 'down' && 'Server unreachable'}
        </span>
      </div>
    </aside>
  );
}
