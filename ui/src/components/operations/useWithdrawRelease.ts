import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { withdrawAndRefresh, type Release } from '../../api/releases';
import { useT } from '../../i18n';
import { platformLabel } from '../../lib/releases';
import { errorMessage } from '../../transport';
import { useToasts } from '../Toasts';

export interface WithdrawConfirm {
  release: Release;
  busy: boolean;
  error: string | null;
}

/** Withdraw, asked first: the build to confirm, then the DELETE and the list read again. */
export function useWithdrawRelease() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState<WithdrawConfirm | null>(null);

  async function withdraw() {
    if (!confirm || confirm.busy) return;
    const { release } = confirm;
    setConfirm({ release, busy: true, error: null });
    try {
      await withdrawAndRefresh(queryClient, release.id);
      setConfirm(null);
      toasts.show({ kind: 'success', message: t('operations.releases.withdrawn', { version: release.version, platform: platformLabel(release) }) });
    } catch (e) {
      setConfirm({ release, busy: false, error: errorMessage(e) });
    }
  }

  return {
    confirm,
    ask: (release: Release) => setConfirm({ release, busy: false, error: null }),
    cancel: () => setConfirm((c) => (c?.busy ? c : null)),
    withdraw: () => void withdraw(),
  };
}
