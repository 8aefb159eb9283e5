import { useT } from '../../i18n';

export interface NoGatewayProps {
  /** An instance admin can turn the sandbox on from here. */
  isAdmin: boolean;
  enabling: boolean;
  error: string | null;
  onEnableSandbox: () => void;
}

/** No gateway takes payments on this server: say so, and show an admin the way to try it out. */
export function NoGatewayNotice({ isAdmin, enabling, error, onEnableSandbox }: NoGatewayProps) {
  const t = useT();
  return (
    <div className="pay-no-gateway" data-testid="no-gateway">
      <p>{t('payments.noGateway')}</p>
      {isAdmin ? (
        <>
          <p className="muted">{t('payments.noGatewayAdmin')}</p>
          <button type="button" className="button secondary" onClick={onEnableSandbox} disabled={enabling} data-testid="enable-sandbox">
            {enabling ? t('payments.enablingSandbox') : t('payments.enableSandbox')}
          </button>
        </>
      ) : (
        <p className="muted">{t('payments.noGatewayMember')}</p>
      )}
      {error && (
        <p className="form-error" role="alert" data-testid="enable-sandbox-error">
          {error}
        </p>
      )}
    </div>
  );
}
