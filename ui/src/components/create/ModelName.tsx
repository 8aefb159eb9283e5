import { BUILTIN_MODEL, useModelName } from '../../api/create';
import { useT } from '../../i18n';

/** A model named for people: the built-in writer, or the catalogue's name for the id. */
export function useModelLabel(modelId: string | null | undefined): string {
  const t = useT();
  const name = useModelName(modelId);
  if (modelId === BUILTIN_MODEL) return t('create.result.builtin');
  return name ?? '';
}

export function ModelName({ id }: { id: string }) {
  return <>{useModelLabel(id)}</>;
}
