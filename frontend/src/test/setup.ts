import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Times render in the local zone; pin it so expectations are stable.
process.env.TZ = 'UTC';

afterEach(() => {
  cleanup();
});
