// vitest configuration of `npm run check:triton` (scripts/check-triton.sh): only the schema check,
// which needs a model_config.proto from outside the repository and so is not part of `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['scripts/check-triton.check.ts'], testTimeout: 120_000, pool: 'forks' },
});
