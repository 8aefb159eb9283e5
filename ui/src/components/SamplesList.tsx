import { useState } from 'react';
import { loadOf } from '../api/load';
import { useSamples } from '../api/queries';
import { openSample } from '../api/samples';
import type { Project, Sample } from '../api/types';
import { useT } from '../i18n';
import { errorMessage } from '../transport';
import { FileTextIcon } from './Icons';

interface Props {
  /** Called with the new project once a sample was opened. */
  onOpened: (project: Project) => void;
  onError: (message: string) => void;
}

/** The built-in sample scripts; clicking one makes a new project from it. */
export function SamplesList({ onOpened, onError }: Props) {
  const t = useT();
  const load = loadOf(useSamples());
  const [opening, setOpening] = useState<string | null>(null);

  async function open(s: Sample) {
    setOpening(s.id);
    try {
      onOpened(await openSample(s.id));
    } catch (e) {
      onError(errorMessage(e));
      setOpening(null);
    }
  }

  if (load.kind === 'loading') return <p className="samples-status muted">{t('samples.loading')}</p>;
  if (load.kind === 'error')
    return (
      <p className="samples-status field-error" role="alert">
        {t('samples.loadFailed', { message: load.message })}
      </p>
    );
  if (load.data.length === 0) return null;
  return (
    <ul className="samples-list" data-testid="samples-list" aria-busy={opening !== null}>
      {load.data.map((s) => (
        <li key={s.id}>
          <button
            type="button"
            className="sample-card"
            data-testid="sample-open"
            data-sample-id={s.id}
            disabled={opening !== null}
            aria-label={t('samples.open', { title: s.title })}
            onClick={() => void open(s)}
          >
            <span className="sample-icon" aria-hidden="true">
              {opening === s.id ? <span className="spinner" /> : <FileTextIcon size={18} />}
            </span>
            <span className="sample-text">
              <span className="sample-title">{s.title}</span>
              <span className="sample-meta">
                {s.language} · {s.filename}
              </span>
              {s.description && <span className="sample-description">{s.description}</span>}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
