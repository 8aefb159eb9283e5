/**
 * Labels of server values the editor shows (run and node statuses, workflow templates, asset
 * types, shot sizes and camera moves), read from the catalogues (`runs.*`, `assets.type.*`,
 * `storyboard.shotTypes.*`, `storyboard.cameraMoves.*`) in the active language each time.
 * A value the catalogue lacks (a newer server) reads as its humanized self.
 */
import { i18n, t } from '../i18n';
import { humanize } from './format';

function label(key: string, fallback: string): string {
  return t(key as never, { defaultValue: fallback }) as string;
}

/** "Waiting for review", "等待审核"… for a run's status. */
export function runStatusLabel(status: string): string {
  return label(`runs.status.${status}`, humanize(status));
}

/** "Completed", "已完成"… for a node's (or a review's) status. */
export function stepStatusLabel(status: string): string {
  return label(`runs.stepStatus.${status}`, humanize(status));
}

/** A built-in template's name ("Animatic", "动态分镜"); `fallback` (the server's name) otherwise. */
export function templateName(id: string, fallback: string = humanize(id)): string {
  return label(`runs.template.${id}`, fallback);
}

/** "Keyframe image", "关键帧"… per asset type. */
export function assetTypeLabel(type: string): string {
  return label(`assets.type.${type}`, humanize(type));
}

/**
 * A workflow node's label: the built-in templates' nodes (assets/workflows/*.json) in the active
 * language when the label is still the built-in English one; any other label (a custom
 * template's) as it is, else the node's id.
 */
export function nodeLabel(nodeId: string, label: string | null | undefined): string {
  const key = `runs.node.${nodeId}`;
  if (!i18n.exists(key)) return label ?? nodeId;
  const builtIn = i18n.getFixedT('en')(key as never) as string;
  return label === undefined || label === null || label === builtIn ? (t(key as never) as string) : label;
}

/** "Close-up", "特写"… per shot size (storyboard). */
export function shotTypeLabel(type: string): string {
  return label(`storyboard.shotTypes.${type}`, humanize(type));
}

/** "Dolly in", "推"… per camera move (storyboard). */
export function cameraMoveLabel(move: string): string {
  return label(`storyboard.cameraMoves.${move}`, humanize(move));
}
