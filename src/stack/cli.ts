// `npm start`: builds what is missing, brings up FerretDB, Hydra and the API on
// their default addresses with data in ./.data, prints where everything is,
// and stops every child on Ctrl-C / SIGTERM. Each address is overridable by env.
import { relative, resolve } from "node:path"
import { devFerretdbStore, DevFerretdbStore } from "./ferretdb"
import { GoMissingError } from "./go-build"
import { defaultDataDir, repoRoot } from "./paths"
import { RunningStack, startStack } from "./stack"

// An empty variable counts as unset.
const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== "")) as NodeJS.ProcessEnv
const int = (name: string, fallback: number) => {
  const raw = env[name]
  if (!raw) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`[stack] ${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`)
    process.exit(2)
  }
  return n
}
const log = (line: string) => console.error(line)

/** A path as the user reads it: relative to the checkout when inside it. */
const shown = (path: string) => {
  const rel = relative(repoRoot, path)
  return rel === "" ? "." : rel.startsWith("..") ? path : rel
}

const summary = (s: RunningStack, store: DevFerretdbStore | undefined) => {
  const dataDir = shown(s.dataDir)
  const admin = `${env.FLASH_DATA_DIR ? `FLASH_DATA_DIR=${env.FLASH_DATA_DIR} ` : ""}npm run admin -- list <accountId>`
  const mongo = !store
    ? `${s.urls.mongodb} (external)`
    : store.kind === "postgresql"
      ? `${s.urls.mongodb} (FerretDB on PostgreSQL, database ${store.database})`
      : `${s.urls.mongodb} (FerretDB, SQLite in ${dataDir}/ferretdb: every lookup scans)`
  return [
    "",
    "Flash API tokens — the stack is up",
    `  GraphQL (HTTP)       ${s.urls.graphql}`,
    `  GraphQL (WebSocket)  ${s.urls.graphqlWs}`,
    `  OAuth2 token URL     ${s.urls.tokenEndpoint}`,
    `  JWKS                 ${s.urls.jwks}`,
    `  Hydra admin          ${s.urls.hydraAdmin}`,
    `  Metrics              ${s.urls.metrics ? `${s.urls.metrics}/metrics` : "off (METRICS_PORT=0)"}`,
    `  MongoDB              ${mongo}`,
    `  Redis                ${s.urls.redis ?? "not configured (in-process revocation and limits)"}`,
    `  Data and logs        ${dataDir}/ (logs in ${dataDir}/logs)`,
    `  Admin CLI            ${admin}  (settings from ${shown(s.settingsFile)}${s.adminSocket ? "; changes applied at once over the API's admin socket" : ""})`,
    "",
    "  Dev user session:",
    `    curl -s -X POST ${s.urls.api}/dev/session -H 'content-type: application/json' -d '{"phone":"+15550001111"}'`,
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n")
}

const main = async () => {
  const dataDir = resolve(env.FLASH_DATA_DIR ?? defaultDataDir)
  // FerretDB on PostgreSQL when it answers (GIN indexes: lookups use an index), else SQLite.
  const store: DevFerretdbStore | undefined = env.MONGODB_URI
    ? undefined
    : env.FERRETDB_POSTGRESQL_URL
      ? { kind: "postgresql", url: env.FERRETDB_POSTGRESQL_URL, database: new URL(env.FERRETDB_POSTGRESQL_URL).pathname.slice(1) }
      : await devFerretdbStore(dataDir)
  if (store?.kind === "sqlite") log(`[stack] FerretDB on SQLite: ${store.why}`)
  const stack = await startStack({
    dataDir,
    ferretdbPostgresqlUrl: store?.kind === "postgresql" ? store.url : undefined,
    apiPort: int("API_PORT", 4012),
    hydraPublicPort: int("HYDRA_PUBLIC_PORT", 4444),
    hydraAdminPort: int("HYDRA_ADMIN_PORT", 4445),
    mongoPort: int("FERRETDB_PORT", 27017),
    metricsPort: env.METRICS_PORT === "0" ? 0 : int("METRICS_PORT", 9464),
    hydraDsn: env.HYDRA_DSN,
    mongodbUri: env.MONGODB_URI,
    hydraPublicUrl: env.HYDRA_PUBLIC_URL,
    hydraAdminUrl: env.HYDRA_ADMIN_URL,
    redisUrl: env.REDIS_URL,
    log,
  })
  console.log(summary(stack, store))

  let stopping = false
  const shutdown = async (why: string, code: number) => {
    if (stopping) return
    stopping = true
    log(`[stack] ${why}: stopping…`)
    await stack.stop()
    log("[stack] stopped")
    process.exit(code)
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal, 0))
  for (const p of stack.processes) {
    void p.exited.then(() => void shutdown(`${p.name} exited unexpectedly (see ${p.logFile})`, 1))
  }
}

main().catch((e: unknown) => {
  if (e instanceof GoMissingError) console.error(`[stack] ${e.message}`)
  else console.error("[stack] could not start:", e instanceof Error ? e.message : e)
  process.exit(1)
})
