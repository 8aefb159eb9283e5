import { useState } from 'react';
import { useT } from '../../i18n';
import { canOfferShares } from '../../lib/shares';
import { getTransport } from '../../transport';
import { ShareDialog } from '../editor/ShareDialog';
import { LinkIcon } from '../Icons';

/**
 * "Share" on a finished summary: a link (optional expiry and password) whose public page shows the
 * summary, its beat sheet and its mind map. Offered where export links are (`canOfferShares`: a
 * browser on the team server; the desktop shell shows nothing). The dialog is the export's, with
 * `POST /history/{id}/share` as its request.
 */
export function ShareSummaryButton({ summaryId, title }: { summaryId: string; title: string | null }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  if (!summaryId || !canOfferShares(getTransport().kind)) return null;
  return (
    <>
      <button
        type="button"
        className="button secondary button-sm"
        data-testid="summary-share"
        data-summary-id={summaryId}
        title={t('shares.summaryShareTitle')}
        onClick={() => setOpen(true)}
      >
        <LinkIcon />
        {t('shares.share')}
      </button>
      {open && <ShareDialog subject={{ kind: 'summary', summaryId, title }} onClose={() => setOpen(false)} />}
    </>
  );
}
