// drizzle-kit: `npm run db:generate` writes a new migration into ./drizzle after a schema change.
// One migration history serves both PGlite and Postgres; never edit the generated SQL.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema/index.ts',
  out: './drizzle',
});
