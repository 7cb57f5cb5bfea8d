// PostGraphile 5 over the inventory database, for compare.sh.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/inventory_bench PORT=5678 node server.mjs
//
// Production settings: Grafast in production mode, no GraphiQL, no plan explain, no schema
// watching, schema `public` only, introspection once at start. The pool has as many
// connections as the team's server uses on PostgreSQL (16; override with PG_POOL).

import { createServer } from "node:http";

// Grafast reads this when it is first imported: make production mode explicit (no dev checks).
process.env.GRAPHILE_ENV ??= "production";

const { postgraphile } = await import("postgraphile");
const { grafserv } = await import("postgraphile/grafserv/node");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");

const port = Number(process.env.PORT ?? 5678);
const host = process.env.HOST ?? "127.0.0.1";
const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/inventory_bench)");
  process.exit(2);
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL ?? 16) },
    }),
  ],
  grafserv: {
    port,
    host,
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
    maxRequestLength: 100_000,
  },
  grafast: {
    explain: false,
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before listening, so the first timed request does not pay for it.
await pgl.getSchema();
server.listen(port, host, () => {
  console.log(`PostGraphile 5 on http://${host}:${port}/graphql`);
});

const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
