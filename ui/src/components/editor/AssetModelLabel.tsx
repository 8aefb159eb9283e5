import { useAsset } from '../../api/queries';
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

/** The same label for an asset known by id only (the review queue's frames). */
export function AssetModelById({ assetId }: { assetId: string | null }) {
  // The label is a nicety: without it (or when the asset cannot be read) the frame is still reviewable.
  const { data } = useAsset(assetId);
  const model = assetId && data ? assetModel(data.metadata) : null;
  return model ? <ModelChip model={model} /> : null;
}
