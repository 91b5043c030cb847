import { createContext, useContext } from 'react';

/**
 * The Content-Security-Policy nonce of the current response (server.ts makes one per request).
 * Only the server render knows it; in the browser the attribute is hidden and it reads as ''.
 */
export const NonceContext = createContext<string>('');

export function useNonce(): string {
  return useContext(NonceContext);
}
