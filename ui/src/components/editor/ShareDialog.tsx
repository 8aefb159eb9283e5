import { useRef, useState, type RefObject } from 'react';
import type { Export, Share } from '../../api/types';
import { useT } from '../../i18n';
import { absoluteShareUrl, canShareExport, pageOrigin, sharesQueued, type ShareForm, type ShareFormField, type ShareSubject } from '../../lib/shares';
import type { FieldErrors } from '../../lib/validation';
import { getTransport } from '../../transport';
import { LinkIcon } from '../Icons';
import { Modal } from '../Modal';
import { DesktopShareDialog } from './DesktopShareDialog';
import { ShareCreatedView, ShareFormView } from './ShareForm';
import { useShareForm, type CopyState } from './useShareForm';

/** The form's fields in the order they are shown (the first one in error gets the focus). */
const FIELD_ORDER: readonly ShareFormField[] = ['include_storyboard', 'expiry_days', 'password'];

export interface ShareDialogViewProps {
  /** What the link shows: an export or a summary (only the request and the words differ). */
  subject: ShareSubject;
  form: ShareForm;
  errors: FieldErrors;
  formError: string | null;
  busy: boolean;
  /** The link once made, and its absolute URL. */
  created: { share: Share; url: string } | null;
  copy: CopyState;
  onChange: (patch: Partial<ShareForm>) => void;
  onSubmit: () => void;
  onCopy: () => void;
  onClose: () => void;
  urlRef?: RefObject<HTMLInputElement | null>;
}

/**
 * Share a completed export or a summary: the form, then the link. Escape closes (not while the
 * link is being made).
 */
export function ShareDialogView(p: ShareDialogViewProps) {
  const t = useT();
  const kind = p.subject.kind;
  return (
    <Modal
      title={kind === 'summary' ? t('shares.summaryTitle') : t('shares.title')}
      onClose={p.onClose}
      busy={p.busy}
      size="md"
      testId="share-dialog"
    >
      {p.created ? (
        <ShareCreatedView
          share={p.created.share}
          subjectKind={kind}
          url={p.created.url}
          copy={p.copy}
          onCopy={p.onCopy}
          onClose={p.onClose}
          urlRef={p.urlRef}
        />
      ) : (
        <ShareFormView
          subject={p.subject}
          form={p.form}
          errors={p.errors}
          formError={p.formError}
          busy={p.busy}
          onChange={p.onChange}
          onSubmit={p.onSubmit}
          onCancel={p.onClose}
        />
      )}
    </Modal>
  );
}

/**
 * Share an export or a summary: from a browser on the team server the link is made at once; on
 * the desktop an export's share is queued for the team server it is signed in to.
 */
export function ShareDialog({ subject, onClose }: { subject: ShareSubject; onClose: () => void }) {
  if (subject.kind === 'export' && sharesQueued(getTransport().kind)) return <DesktopShareDialog exportItem={subject.exportItem} onClose={onClose} />;
  return <ServerShareDialog subject={subject} onClose={onClose} />;
}

/** The team server's own dialog: `POST /share` (or `/history/{id}/share`), then the link. */
function ServerShareDialog({ subject, onClose }: { subject: ShareSubject; onClose: () => void }) {
  const s = useShareForm(subject);
  const urlRef = useRef<HTMLInputElement>(null);
  const created = s.created ? { share: s.created, url: absoluteShareUrl(s.created.url, pageOrigin()) } : null;
  return (
    <ShareDialogView
      subject={subject}
      form={s.form}
      errors={s.errors}
      formError={s.formError}
      busy={s.busy}
      created={created}
      copy={s.copy}
      onChange={s.change}
      onSubmit={() =>
        void s.submit().then((out) => {
          if (!out || out.kind === 'created') return;
          const field = FIELD_ORDER.find((f) => out.errors[f]);
          if (field) document.querySelector<HTMLElement>(`[data-testid="share-dialog"] [data-share-field="${field}"]`)?.focus();
        })
      }
      onCopy={() => {
        if (!created) return;
        void s.copyLink(created.url).then((ok) => {
          // Not copied: the link is selected, to copy by hand.
          if (!ok) urlRef.current?.select();
        });
      }}
      onClose={onClose}
      urlRef={urlRef}
    />
  );
}

/**
 * "Share" on an export: only a completed one. In a browser on the team server it makes a link;
 * on the desktop it queues a share for the team server (or says to sign in to one first).
 * `compact`: the history row's icon button; else the current export's labelled button.
 */
export function ShareExportButton({ exportItem, compact }: { exportItem: Export; compact?: boolean }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  if (!canShareExport(exportItem)) return null;
  return (
    <>
      {compact ? (
        <button
          type="button"
          className="icon-button"
          aria-label={t('shares.shareAria', { resolution: exportItem.resolution, format: exportItem.format })}
          title={t('shares.share')}
          data-testid="export-history-share"
          data-export-id={exportItem.id}
          onClick={() => setOpen(true)}
        >
          <LinkIcon />
        </button>
      ) : (
        <button type="button" className="button secondary button-sm" data-testid="export-share" data-export-id={exportItem.id} onClick={() => setOpen(true)}>
          <LinkIcon />
          {t('shares.shareLink')}
        </button>
      )}
      {open && <ShareDialog subject={{ kind: 'export', exportItem }} onClose={() => setOpen(false)} />}
    </>
  );
}
