import { useExportFileBlob } from '../../api/queries';
import { useObjectUrlOf } from '../../lib/useObjectUrl';
import { errorMessage } from '../../transport';

export interface BlobUrlState {
  /** An object URL for `<video src>` / `<a href download>`; null until loaded. */
  url: string | null;
  loading: boolean;
  error: string | null;
  /** Reads the file again (after an error). */
  retry: () => void;
}

/**
 * Reads an export's file through the transport (custom scheme on desktop, bearer token in accounts
 * mode; `useExportFileBlob`) and gives an object URL for it, revoked when the path changes and on
 * unmount.
 */
export function useBlobUrl(path: string | null | undefined): BlobUrlState {
  const q = useExportFileBlob(path);
  const url = useObjectUrlOf(path ? q.data : null);
  return {
    url,
    loading: !!path && (q.isFetching || (!!q.data && url === null)),
    // A retry shows the spinner again, not the previous error.
    error: path && q.error && !q.isFetching ? errorMessage(q.error) : null,
    retry: () => void q.refetch(),
  };
}

/** Saves a Blob under `filename` (an object URL on a temporary `<a download>`, revoked afterwards). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started reading the URL by now; give slow webviews a margin anyway.
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
