export { initBackend, backendInfo, BACKEND_ORDER } from './backend/init-backend.js';
export type { BackendName, BackendInfo, BackendAttempt, InitBackendOptions } from './backend/init-backend.js';
