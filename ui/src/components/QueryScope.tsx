import { QueryClientProvider } from '@tanstack/react-query';
import { useMemo, type ReactNode } from 'react';
import { makeQueryClient } from '../api/queryClient';

/**
 * A query cache of its own for each workspace: what was read in one workspace is never shown in
 * another (requests carry `X-Workspace-Id`, query keys do not). Switching workspace starts empty,
 * as the pages did when they re-read on the workspace key.
 */
export function QueryScope({ scope, children }: { scope: string; children: ReactNode }) {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const client = useMemo(() => makeQueryClient(), [scope]);
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
