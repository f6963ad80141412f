// Another API process on the same Mongo, Hydra and Redis as a running stack: a
// replica, as in production (revocation fan-out tests, the bench), or a
// bench-only entry point that swaps the auth step.
import { join } from "node:path"
import { ManagedProcess, startProcess } from "./child-process"
import { repoRoot } from "./paths"
import { freePort, httpOk, waitFor } from "./wait"
import { apiEntryArgs, apiNodeFlags } from "./api-node-flags"

export type ApiReplica = {
  url: string
  graphql: string
  graphqlWs: string
  /** Base URL of this replica's own metrics listener; absent when extraEnv turned it off (METRICS_PORT=0). */
  metrics?: string
  process: ManagedProcess
}

export const startApiReplica = async (o: {
  /** The running stack's API environment and URL, and its data dir (logs go to its logs/). */
  apiEnv: NodeJS.ProcessEnv
  primaryApiUrl: string
  dataDir: string
  name?: string
  /** The address and port it listens on (API_HOST, API_PORT); default 127.0.0.1 and a free port. */
  host?: string
  port?: number
  entry?: string
  extraEnv?: NodeJS.ProcessEnv
  nodeArgs?: string[]
}): Promise<ApiReplica> => {
  const port = o.port ?? (await freePort())
  const host = o.host ?? "127.0.0.1"
  const url = `http://${host}:${port}`
  // Its own metrics listener: the primary's port is taken.
  const metricsPort = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...o.apiEnv,
    ...(o.host ? { API_HOST: o.host } : {}),
    API_PORT: String(port),
    API_PUBLIC_URL: url,
    METRICS_HOST: host,
    METRICS_PORT: String(metricsPort),
    // Trust the primary API's dev session issuer, as replicas trust one gateway.
    SESSION_ISSUER: `${o.primaryApiUrl}/dev`,
    SESSION_JWKS_URL: `${o.primaryApiUrl}/dev/.well-known/jwks.json`,
    // The admin socket is the primary's: a replica learns of the CLI's changes through Redis.
    ADMIN_SOCKET: "",
    ...o.extraEnv,
  }
  const entry = o.entry ?? join(repoRoot, "src", "servers", "main.ts")
  const proc = startProcess({
    name: o.name ?? `api-replica-${port}`,
    command: process.execPath,
    args: [...apiNodeFlags(o.apiEnv), ...(o.nodeArgs ?? []), ...apiEntryArgs(entry)],
    cwd: repoRoot,
    env,
    logDir: join(o.dataDir, "logs"),
  })
  try {
    await waitFor(proc.name, httpOk(`${url}/readyz`), {
      timeoutMs: 120_000,
      abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
    })
  } catch (e) {
    await proc.stop()
    throw e
  }
  return {
    url,
    graphql: `${url}/graphql`,
    graphqlWs: `${url.replace(/^http/, "ws")}/graphql`,
    metrics: env.METRICS_PORT === "0" ? undefined : `http://${env.METRICS_HOST}:${env.METRICS_PORT}`,
    process: proc,
  }
}
