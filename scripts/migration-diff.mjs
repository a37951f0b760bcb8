// Prints the SQL that takes the database from prisma/migrations to
// prisma/schema.prisma, using Prisma's schema engine compiled to wasm (the
// native one is a download this network does not allow).
// Usage: node scripts/migration-diff.mjs            -> SQL on stdout ('' when in sync)
//        node scripts/migration-diff.mjs NAME        -> writes prisma/migrations/NNNN_NAME/migration.sql
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const root = new URL('..', import.meta.url).pathname;
const migrationsDir = join(root, 'prisma/migrations');
const schemaPath = join(root, 'prisma/schema.prisma');

function migrationList() {
  const dirs = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: 'provider = "postgresql"\n' },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8') } },
    })),
  };
}

// The package's entry imports the .wasm as an ES module, which Node 20 cannot;
// instantiate it by hand the way its generated glue expects.
const wasmPath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { './schema_engine_bg.js': bg });
bg.__wbg_set_wasm(instance.exports);
instance.exports.__wbindgen_start();
const { SchemaEngine } = bg;

const schema = readFileSync(schemaPath, 'utf8');
const pglite = new PrismaPGlite(new PGlite());
// The engine expects the error-capturing wrapper Prisma's CLI puts around adapters.
const factory = bindMigrationAwareSqlAdapterFactory(pglite);
const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, (msg) => process.env.DEBUG && console.error(msg), factory);
const result = await engine.diff({
  from: { tag: 'migrations', ...migrationList() },
  to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});
const sql = (result.stdout ?? '').trim();
const name = process.argv[2];
if (!name) {
  process.stdout.write(sql ? sql + '\n' : '');
} else if (!sql || sql === '-- This is an empty migration.') {
  console.error('schema and migrations agree; nothing to write');
} else {
  const n = String(migrationList().migrationDirectories.length + 1).padStart(4, '0');
  const dir = join(migrationsDir, `${n}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), sql + '\n');
  console.error(`wrote ${dir}/migration.sql`);
}
