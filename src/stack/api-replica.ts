// Another API process on the same Mongo, Hydra and Redis as a running stack: a
// replica, as in production (revocation fan-out tests, the bench), or a
// bench-only entry point that swaps the auth step.
import { join } from "node:path"
import { ManagedProcess, startProcess } from "./child-process"
import { repoRoot } from "./paths"
import { freePort, httpOk, waitFor } from "./wait"
import { apiNodeFlags } from "./api-node-flags"

export type ApiReplica = { url: string; graphql: string; graphqlWs: string; process: ManagedProcess }

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
  const proc = startProcess({
    name: o.name ?? `api-replica-${port}`,
    command: process.execPath,
    args: [...apiNodeFlags(o.apiEnv), ...(o.nodeArgs ?? []), "--import", "tsx", o.entry ?? join(repoRoot, "src", "servers", "main.ts")],
    cwd: repoRoot,
    env: {
      ...o.apiEnv,
      ...(o.host ? { API_HOST: o.host } : {}),
      API_PORT: String(port),
      API_PUBLIC_URL: url,
      // Trust the primary API's dev session issuer, as replicas trust one gateway.
      SESSION_ISSUER: `${o.primaryApiUrl}/dev`,
      SESSION_JWKS_URL: `${o.primaryApiUrl}/dev/.well-known/jwks.json`,
      ...o.extraEnv,
    },
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
  return { url, graphql: `${url}/graphql`, graphqlWs: `${url.replace(/^http/, "ws")}/graphql`, process: proc }
}
