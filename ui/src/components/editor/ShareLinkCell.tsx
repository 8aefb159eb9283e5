import { useT } from '../../i18n';

export interface ShareLinkCellProps {
  /** The link, absolute. */
  url: string;
  /** What the link belongs to (`data-share-id`). */
  id: string;
  /** Its Copy reads "Copied". */
  copied: boolean;
  inputLabel: string;
  copyLabel: string;
  /** `shared-link` or `queued-share`: the cell's `-url` and `-copy` test ids. */
  testIdPrefix: string;
  onCopy: () => void;
}

/** A link in a list of links: the address (selected on focus) and its Copy button. */
export function ShareLinkCell(p: ShareLinkCellProps) {
  const t = useT();
  return (
    <div className="share-link-cell">
      <input
        className="input input-sm share-url-input"
        readOnly
        value={p.url}
        aria-label={p.inputLabel}
        data-testid={`${p.testIdPrefix}-url`}
        data-share-id={p.id}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button
        type="button"
        className="button secondary button-sm"
        data-testid={`${p.testIdPrefix}-copy`}
        aria-label={p.copyLabel}
        onClick={p.onCopy}
      >
        {p.copied ? t('common.copied') : t('common.copy')}
      </button>
    </div>
  );
}
