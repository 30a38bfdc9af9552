import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { databaseUrl } from "./lib/env";

// Prisma 6.19 with the JS engine: migrations run through the better-sqlite3
// adapter, so nothing is downloaded and the CLI works offline.

type Factory = PrismaBetterSQLite3;
type Adapter = Awaited<ReturnType<Factory["connectToShadowDb"]>>;

/**
 * `prisma migrate dev` replays every migration on a scratch "shadow" database
 * with executeRaw, which better-sqlite3 refuses for more than one statement
 * ("External error"). Only the shadow connection is affected: route a
 * multi-statement script without parameters to executeScript there.
 */
function withShadowScripts(factory: Factory): Factory {
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connectToShadowDb = async () => {
    const adapter: Adapter = await connectToShadowDb();
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length === 0 && query.sql.split(";").filter((s) => s.trim()).length > 1) {
        await adapter.executeScript(query.sql);
        return 0;
      }
      return executeRaw(query);
    };
    return adapter;
  };
  return factory;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => withShadowScripts(new PrismaBetterSQLite3({ url: databaseUrl() })),
});
