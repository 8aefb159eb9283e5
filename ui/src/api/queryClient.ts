import { QueryClient } from '@tanstack/react-query';

/**
 * The query cache's defaults: no automatic retries (every screen shows the error with its own
 * "Try again" button, as before) and no refetch on window focus (the screens that need fresh data
 * poll or listen to events).
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
