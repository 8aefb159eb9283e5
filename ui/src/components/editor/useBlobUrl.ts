import { useExportFileBlob } from '../../api/queries';
import { useObjectUrlOf } from '../../lib/useObjectUrl';
import { toApiPath } from '../../api/export';
import { errorMessage, getTransport } from '../../transport';

export interface BlobUrlState {
  /** An object URL for `<video src>` / `<a href download>`; null until loaded. */
  url: string | null;
  /** `url` is the file's own URL (read in ranges), not a loaded copy: save it with a download. */
  direct?: boolean;
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

/**
 * A URL to play an export's video from: the file's own URL where the transport can read it in
 * ranges (the desktop), else a loaded copy ([`useBlobUrl`]).
 */
export function useVideoUrl(path: string | null | undefined): BlobUrlState {
  const direct = path ? getTransport().mediaUrl(toApiPath(path)) : null;
  const loaded = useBlobUrl(direct ? null : path);
  if (!direct) return loaded;
  return { url: direct, direct: true, loading: false, error: null, retry: () => undefined };
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
