import { useCreation, type Creation, type Tool } from '../../api/create';
import { loadOf } from '../../api/load';
import { useLocale, useT } from '../../i18n';
import { creationToolLabel, creditsUsedLabel } from '../../lib/create';
import { formatDateTime } from '../../lib/format';
import { routeHash } from '../../lib/route';
import { canPublishKind } from '../../lib/publish';
import { AlertIcon, CloseIcon, RestoreIcon, TrashIcon, UploadIcon } from '../Icons';
import { CreationEditor } from './CreationEditor';
import { CreationFile } from './CreationFile';
import { ModelName } from './ModelName';

interface Props {
  id: string;
  tools: readonly Tool[] | undefined;
  canEdit: boolean;
  onClose: () => void;
  onDelete?: ((c: Creation) => void) | undefined;
  onRestore?: ((c: Creation) => void) | undefined;
  /** Publish (writing and video creations, not in the trash). */
  onPublish?: ((c: Creation) => void) | undefined;
  busy?: boolean;
}

/** The keywords, requirements, language and source text a creation was asked for, as far as they were given. */
export function askedFor(input: unknown): { keywords: string[]; requirements: string; language: string; content: string } {
  const o = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const keywords = Array.isArray(o.keywords) ? o.keywords.filter((k): k is string => typeof k === 'string' && k.trim() !== '') : [];
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  return { keywords, requirements: str(o.requirements), language: str(o.language), content: str(o.content) };
}

/** One creation, whole (`GET /creations/{id}`): what it is, what was asked, its text to edit. */
export function CreationView({ id, tools, canEdit, onClose, onDelete, onRestore, onPublish, busy = false }: Props) {
  const t = useT();
  const read = loadOf(useCreation(id));
  return (
    <section className="panel create-section creation-view" data-testid="creation-view" data-id={id} aria-labelledby="creation-view-title">
      <header className="creation-view-head">
        <h2 id="creation-view-title">{read.kind === 'ready' ? read.data.title : t('create.view.title')}</h2>
        <button type="button" className="icon-button" aria-label={t('create.view.close')} data-testid="creation-close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {read.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {read.kind === 'error' && (
        <p className="form-error" role="alert" data-testid="creation-error">
          <AlertIcon size={14} /> {read.message}
        </p>
      )}
      {read.kind === 'ready' && <CreationBody creation={read.data} tools={tools} canEdit={canEdit} onDelete={onDelete} onRestore={onRestore} onPublish={onPublish} busy={busy} />}
    </section>
  );
}

export function CreationBody({ creation: c, tools, canEdit, onDelete, onRestore, onPublish, busy = false }: Omit<Props, 'id' | 'onClose'> & { creation: Creation }) {
  const t = useT();
  const locale = useLocale();
  const asked = askedFor(c.input);
  return (
    <div className="creation-body" data-testid="creation-body">
      {c.deleted_at && (
        <p className="parse-note" role="status" data-testid="creation-trashed">
          {t('create.view.inTrash', { when: formatDateTime(c.deleted_at) })}
        </p>
      )}
      <CreationFile creation={c} />
      <CreationEditor
        key={`${c.id}:${c.deleted_at ?? ''}`}
        creation={c}
        canEdit={canEdit}
        meta={
          <>
            <span className="chip" data-testid="creation-tool">
              {creationToolLabel(c, tools, locale)}
            </span>
            <span className="chip" data-testid="creation-model">
              <ModelName id={c.model} />
            </span>
            <span className="chip" data-testid="creation-credits">
              {creditsUsedLabel(c.credits_used)}
            </span>
            <span className="chip">{formatDateTime(c.created_at)}</span>
            {c.project_id && (
              <a className="chip" href={routeHash({ name: 'project', id: c.project_id, tab: 'script' })} data-testid="creation-project-link">
                {t('create.view.project')}
              </a>
            )}
          </>
        }
      />
      {(asked.keywords.length > 0 || asked.requirements || asked.language || asked.content) && (
        <details className="creation-asked" data-testid="creation-asked">
          <summary>{t('create.view.asked')}</summary>
          <dl>
            {asked.keywords.length > 0 && (
              <>
                <dt>{t('create.form.keywords')}</dt>
                <dd>{asked.keywords.join(', ')}</dd>
              </>
            )}
            {asked.requirements && (
              <>
                <dt>{t('create.form.requirements')}</dt>
                <dd>{asked.requirements}</dd>
              </>
            )}
            {asked.language && (
              <>
                <dt>{t('create.form.language')}</dt>
                <dd>{asked.language}</dd>
              </>
            )}
            {asked.content && (
              <>
                <dt>{t('create.view.source')}</dt>
                <dd className="creation-asked-source">{asked.content}</dd>
              </>
            )}
          </dl>
          <p className="muted create-hint">{t('create.view.template', { version: c.prompt_version })}</p>
        </details>
      )}
      {canEdit && (
        <div className="creation-actions">
          {!c.deleted_at && onPublish && canPublishKind(c.type) && (
            <button type="button" className="button secondary button-sm" data-testid="creation-view-publish" disabled={busy} onClick={() => onPublish(c)}>
              <UploadIcon />
              {t('publish.action')}
            </button>
          )}
          {c.deleted_at
            ? onRestore && (
                <button type="button" className="button secondary button-sm" data-testid="creation-view-restore" disabled={busy} onClick={() => onRestore(c)}>
                  <RestoreIcon />
                  {t('create.list.restoreShort')}
                </button>
              )
            : onDelete && (
                <button type="button" className="button danger button-sm" data-testid="creation-view-delete" disabled={busy} onClick={() => onDelete(c)}>
                  <TrashIcon />
                  {t('common.delete')}
                </button>
              )}
        </div>
      )}
    </div>
  );
}
