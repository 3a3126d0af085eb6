import { initBackend } from '@modalab/core';

// Each vitest project forces its backend through MODALAB_BACKEND.
await initBackend({ log: false });
