// A second API process on the same Mongo, Hydra and Redis: a replica, as in
// production, to prove what crosses processes (revocation fan-out).
import { join } from "node:path"
import { startProcess } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"
import { freePort, httpOk, waitFor } from "@/stack/wait"
import { testStack } from "../harness/stack-state"

export const startSecondApi = async () => {
  const stack = testStack()
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = startProcess({
    name: `api-replica-${port}`,
    command: process.execPath,
    args: ["--import", "tsx", join(repoRoot, "src", "servers", "main.ts")],
    cwd: repoRoot,
    env: {
      ...stack.apiEnv,
      API_PORT: String(port),
      API_PUBLIC_URL: url,
      // Trust the first API's dev session issuer, as replicas trust one gateway.
      SESSION_ISSUER: `${stack.urls.api}/dev`,
      SESSION_JWKS_URL: `${stack.urls.api}/dev/.well-known/jwks.json`,
    },
    logDir: join(stack.dataDir, "logs"),
  })
  await waitFor("second API", httpOk(`${url}/readyz`), {
    timeoutMs: 60_000,
    abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
  })
  return { url, graphql: `${url}/graphql`, graphqlWs: `${url.replace(/^http/, "ws")}/graphql`, stop: () => proc.stop(), process: proc }
}
