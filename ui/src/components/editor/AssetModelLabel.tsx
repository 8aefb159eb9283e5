import { useEffect, useState } from 'react';
import { getAsset } from '../../api/assets';
import { useT } from '../../i18n';
import { assetModel, assetModelLabel, type AssetModel } from '../../lib/providers';
import '../providers/providers.css';

/** The model (and provider) a generated asset came from: `metadata.model` / `metadata.provider`. */
export function AssetModelLabel({ metadata }: { metadata: unknown }) {
  const m = assetModel(metadata);
  return m ? <ModelChip model={m} /> : null;
}

function ModelChip({ model }: { model: AssetModel }) {
  const t = useT();
  const label = assetModelLabel(model);
  return (
    <span className="asset-model" data-testid="asset-model" data-model={model.model} data-provider={model.provider ?? ''} title={t('assets.madeWith', { model: label })}>
      {label}
    </span>
  );
}

/** Assets are immutable once made: their metadata is read once per page load. */
const cache = new Map<string, AssetModel | null>();

/** The same label for an asset known by id only (the review queue's frames). */
export function AssetModelById({ assetId }: { assetId: string | null }) {
  const [model, setModel] = useState<AssetModel | null>(() => (assetId ? (cache.get(assetId) ?? null) : null));
  useEffect(() => {
    if (!assetId) {
      setModel(null);
      return;
    }
    if (cache.has(assetId)) {
      setModel(cache.get(assetId) ?? null);
      return;
    }
    const ctrl = new AbortController();
    getAsset(assetId, ctrl.signal)
      .then((a) => {
        const m = assetModel(a.metadata);
        cache.set(assetId, m);
        setModel(m);
      })
      // The label is a nicety: without it the frame is still reviewable.
      .catch(() => {
        if (!ctrl.signal.aborted) setModel(null);
      });
    return () => ctrl.abort();
  }, [assetId]);
  return model ? <ModelChip model={model} /> : null;
}
