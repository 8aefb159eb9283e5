import { useEffect, useState } from 'react';
import { fetchExportFile } from '../../api/export';
import { errorMessage } from '../../transport';

export interface BlobUrlState {
  /** An object URL for `<video src>` / `<a href download>`; null until loaded. */
  url: string | null;
  loading: boolean;
  error: string | null;
}

const EMPTY: BlobUrlState = { url: null, loading: false, error: null };

/**
 * Fetches an API path through the transport (custom scheme on desktop, bearer token in accounts
 * mode) and gives an object URL for it; the URL is revoked when the path changes and on unmount.
 * `reloadKey` fetches again (after an error).
 */
export function useBlobUrl(path: string | null | undefined, reloadKey = 0): BlobUrlState {
  const [state, setState] = useState<BlobUrlState>(EMPTY);

  useEffect(() => {
    if (!path) {
      setState(EMPTY);
      return;
    }
    const ctrl = new AbortController();
    let url: string | null = null;
    setState({ url: null, loading: true, error: null });
    fetchExportFile(path, ctrl.signal)
      .then((blob) => {
        if (ctrl.signal.aborted) return;
        url = URL.createObjectURL(blob);
        setState({ url, loading: false, error: null });
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setState({ url: null, loading: false, error: errorMessage(e) });
      });
    return () => {
      ctrl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path, reloadKey]);

  return state;
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
