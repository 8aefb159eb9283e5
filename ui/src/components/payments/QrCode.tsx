import { create } from 'qrcode';
import { useMemo } from 'react';

/** Modules of light margin around the code, as the QR specification asks for. */
const QUIET_ZONE = 4;

/**
 * A QR code's dark modules as one SVG path, and its width in modules (quiet zone included).
 * Drawn as SVG rather than onto a canvas: it is ready on the first render (no effect to wait for),
 * stays sharp at any size and needs no innerHTML.
 */
export function qrPath(text: string): { width: number; d: string } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  let d = '';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) d += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  return { width: modules.size + 2 * QUIET_ZONE, d };
}

/** A QR code of `text` (WeChat Pay's `weixin://` code), dark on light whatever the theme. */
export function QrCode({ text, label, size = 208 }: { text: string; label: string; size?: number }) {
  const { width, d } = useMemo(() => qrPath(text), [text]);
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${width} ${width}`}
      shapeRendering="crispEdges"
      data-testid="wechat-qr"
      data-code={text}
    >
      <rect width={width} height={width} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
