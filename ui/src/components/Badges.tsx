import type { AspectRatio, ProjectStatus } from '../api/types';
import { ASPECT_LABELS, STATUS_LABELS } from '../lib/format';

const FRAME: Record<AspectRatio, { w: number; h: number }> = {
  '9:16': { w: 7, h: 12 },
  '16:9': { w: 13, h: 7.5 },
  '1:1': { w: 10, h: 10 },
};

export function AspectShape({ ratio, scale = 1 }: { ratio: AspectRatio; scale?: number }) {
  const f = FRAME[ratio] ?? FRAME['1:1'];
  return (
    <svg width={14 * scale} height={14 * scale} viewBox="0 0 14 14" aria-hidden="true" focusable="false">
      <rect
        x={(14 - f.w) / 2}
        y={(14 - f.h) / 2}
        width={f.w}
        height={f.h}
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
      />
    </svg>
  );
}

export function AspectBadge({ ratio }: { ratio: AspectRatio }) {
  return (
    <span className="badge badge-aspect" data-testid="aspect-badge" title={ASPECT_LABELS[ratio] ?? ratio}>
      <AspectShape ratio={ratio} />
      {ratio}
    </span>
  );
}

export function StatusBadge({ status }: { status: ProjectStatus }) {
  return (
    <span className={`badge badge-status status-${status}`} data-testid="status-badge" data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}
