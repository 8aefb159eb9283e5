import { useState, type MouseEvent } from 'react';
import { CREATE_PATHS, fetchCreationFile, type Creation } from '../../api/create';
import { useT } from '../../i18n';
import { apiUrl, errorMessage } from '../../transport';
import { DownloadIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { saveBlob, useBlobUrl, useVideoUrl } from '../editor/useBlobUrl';

/**
 * Downloads a creation's file (a deck's `.pptx`): the link's `href` is the file's URL, but a click
 * reads it through the transport (the desktop's custom scheme, the accounts mode's token) and
 * saves it under `fileName`.
 */
export function useCreationDownload(url: string, fileName: string) {
  const toasts = useToasts();
  const [busy, setBusy] = useState(false);
  return {
    href: apiUrl(url) ?? undefined,
    busy,
    onClick(e: MouseEvent) {
      e.preventDefault();
      if (busy) return;
      setBusy(true);
      fetchCreationFile(url)
        .then((blob) => saveBlob(blob, fileName))
        .catch((err: unknown) => toasts.show({ kind: 'error', message: errorMessage(err) }))
        .finally(() => setBusy(false));
    },
  };
}

/** A picture made by the image tool, read through the transport. */
export function CreationImage({ url, alt, testId = 'creation-image' }: { url: string; alt: string; testId?: string }) {
  const t = useT();
  const img = useBlobUrl(url);
  if (img.error) {
    return (
      <p className="form-error" role="alert" data-testid={`${testId}-error`}>
        {img.error}{' '}
        <button type="button" className="button secondary button-sm" onClick={img.retry}>
          {t('common.tryAgain')}
        </button>
      </p>
    );
  }
  return (
    <figure className="creation-figure" data-testid={testId} data-src={url}>
      {img.url ? <img src={img.url} alt={alt} /> : <span className="spinner" role="status" aria-label={t('common.loading')} />}
    </figure>
  );
}

/** A video made by the video tool, played from its file (read in ranges on the desktop, loaded in the browser). */
export function CreationVideo({ url, testId = 'creation-video' }: { url: string; testId?: string }) {
  const t = useT();
  const video = useVideoUrl(url);
  if (video.error) {
    return (
      <p className="form-error" role="alert" data-testid={`${testId}-error`}>
        {video.error}{' '}
        <button type="button" className="button secondary button-sm" onClick={video.retry}>
          {t('common.tryAgain')}
        </button>
      </p>
    );
  }
  return (
    <div className="creation-player" data-testid={testId} data-src={url}>
      {video.url ? (
        <video src={video.url} controls preload="metadata" aria-label={t('create.video.player')} />
      ) : (
        <span className="spinner" role="status" aria-label={t('common.loading')} />
      )}
    </div>
  );
}

/** A creation's file in its view: the picture, the video, or the deck to download. Nothing for writing. */
export function CreationFile({ creation: c }: { creation: Pick<Creation, 'id' | 'type' | 'title' | 'file_name' | 'file_sha256' | 'deleted_at'> }) {
  const t = useT();
  const url = CREATE_PATHS.file(c.id);
  const fileName = c.file_name || `${c.title}.pptx`;
  const download = useCreationDownload(url, fileName);
  if (c.deleted_at || !(c.file_name || c.file_sha256)) return null;
  if (c.type === 'image') return <CreationImage url={url} alt={c.title} />;
  if (c.type === 'video') return <CreationVideo url={url} />;
  if (c.type === 'ppt') {
    return (
      <div className="creation-actions">
        <a className="button secondary button-sm" href={download.href} download={fileName} data-testid="creation-download" onClick={download.onClick}>
          {download.busy ? <span className="spinner spinner-sm" aria-hidden="true" /> : <DownloadIcon />}
          {t('create.deck.download')}
        </a>
      </div>
    );
  }
  return null;
}
