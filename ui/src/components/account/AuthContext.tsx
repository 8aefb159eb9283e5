import { createContext, useContext } from 'react';
import type { User } from '../../api/accounts';

/** The signed-in user of accounts mode; absent (null context) in local mode. */
export interface AuthApi {
  user: User;
  setUser: (u: User) => void;
  signOut: () => Promise<void>;
}

export const AuthContext = createContext<AuthApi | null>(null);

/** The signed-in user, or null in local mode (no accounts). */
export function useAuth(): AuthApi | null {
  return useContext(AuthContext);
}
