/** What other rooms of the ledger may use of the access room; the rest of this folder is its own. */
export { API_ROLES, API_KEYS_STREAM_NAME, isApiRole } from './api-key.events';
export type { ApiRole } from './api-key.events';
export { API_KEY_SECRET_PREFIX, ApiKeyRefusedError, ApiKeyRegistry, secretDigestOf } from './api-key.registry';
export type { ApiKeyIdentity, ApiKeyView, IssuedApiKey } from './api-key.registry';
