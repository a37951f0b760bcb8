import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this file; the product connects through driver
// adapters (src/db) and applies prisma/migrations itself at start-up.
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
