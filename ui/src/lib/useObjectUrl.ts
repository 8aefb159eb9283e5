import { useEffect, useState } from 'react';

/**
 * An object URL for `blob` while it is shown (null for none); revoked when the blob changes and on
 * unmount. Never a URL of a blob other than `blob`.
 */
export function useObjectUrlOf(blob: Blob | null | undefined): string | null {
  const [made, setMade] = useState<{ blob: Blob; url: string } | null>(null);
  useEffect(() => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    setMade({ blob, url });
    return () => URL.revokeObjectURL(url);
  }, [blob]);
  return blob && made?.blob === blob ? made.url : null;
}
