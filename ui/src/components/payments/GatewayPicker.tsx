import type { Gateway, GatewayInfo } from '../../api/types';
import { useT } from '../../i18n';

/** The ways to pay this server takes now, as a radio group; the sandbox says that no money moves. */
export function GatewayPicker({
  gateways,
  value,
  onChange,
  error,
}: {
  gateways: GatewayInfo[];
  value: Gateway;
  onChange: (g: Gateway) => void;
  /** The server's refusal of the gateway (422 naming `payment_method`), shown under it. */
  error?: string | null;
}) {
  const t = useT();
  return (
    <fieldset className="form-field pay-gateways">
      <legend>{t('payments.payWith')}</legend>
      <div className="choice-group" role="radiogroup" aria-label={t('payments.payWith')} data-testid="gateway-picker">
        {gateways.map((g) => (
          <label
            key={g.gateway}
            className={`choice${value === g.gateway ? ' selected' : ''}${g.sandbox ? ' pay-sandbox-choice' : ''}`}
            data-testid={`gateway-${g.gateway}`}
          >
            <input type="radio" name="pay-gateway" value={g.gateway} checked={value === g.gateway} onChange={() => onChange(g.gateway)} />
            <span className="choice-label">{t(`payments.gateway.${g.gateway}`)}</span>
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="gateway-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** Says plainly that a sandbox order moves no money (shown wherever the sandbox is the way to pay). */
export function SandboxBanner({ testId = 'sandbox-banner' }: { testId?: string }) {
  const t = useT();
  return (
    <p className="pay-sandbox-banner" role="note" data-testid={testId}>
      <strong>{t('payments.sandbox.bannerTitle')}</strong> {t('payments.sandbox.bannerText')}
    </p>
  );
}
