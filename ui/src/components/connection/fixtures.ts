/** Test fixtures: a connection status with defaults. */
import type { ConnectionStatus } from '../../api/remote';

export function status(over: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return {
    state: 'signed_out',
    server_url: null,
    username: null,
    checked_at: null,
    secret_storage: 'keyring',
    secret_storage_location: 'the OS keyring (service app.storyloom.studio)',
    secret_storage_notice: null,
    message: 'Not signed in to a team server. Everything works offline.',
    ...over,
  };
}
