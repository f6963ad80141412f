// Starts the production profile's user-session issuer (session-issuer-main.ts)
// as a child process, and mints sessions from it for a user id.
import { join } from "node:path"
import { ManagedProcess, startProcess } from "./child-process"
import { repoRoot } from "./paths"
import { freePort, httpOk, waitFor } from "./wait"

export type SessionIssuer = {
  /** The `iss` of its sessions (SESSION_ISSUER of the API). */
  issuer: string
  /** SESSION_JWKS_URL of the API. */
  jwksUrl: string
  process: ManagedProcess
  /** A user-session JWT for this user id, as the gateway mints one after a login. */
  issue: (userId: string) => Promise<string>
}

export const startSessionIssuer = async (o: { dataDir: string; logDir: string }): Promise<SessionIssuer> => {
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const proc = startProcess({
    name: "session-issuer",
    command: process.execPath,
    args: ["--import", "tsx", join(repoRoot, "src", "stack", "session-issuer-main.ts")],
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SESSION_ISSUER_PORT: String(port), SESSION_ISSUER_DATA_DIR: o.dataDir },
    logDir: o.logDir,
  })
  await waitFor("session issuer", httpOk(`${issuer}/healthz`), {
    timeoutMs: 60_000,
    abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
  })
  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    process: proc,
    issue: async (userId) => {
      const res = await fetch(`${issuer}/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId }),
      })
      if (!res.ok) throw new Error(`session issuer answered ${res.status}`)
      return ((await res.json()) as { token: string }).token
    },
  }
}
