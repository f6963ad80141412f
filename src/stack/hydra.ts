// Runs Ory Hydra natively: `migrate sql` then `serve all` with hydra/hydra.yml,
// addresses and secrets from the environment, and an ES256 access-token key set
// created before the first token is issued (Hydra would otherwise generate an
// RSA-4096 key, which signs 2.5x slower; see shared NATIVE-STACK.md).
import { randomUUID } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { binaryPath } from "./go-build"
import { ManagedProcess, runToCompletion, startProcess } from "./child-process"
import { repoRoot } from "./paths"
import { httpOk, waitFor } from "./wait"

export const ACCESS_TOKEN_KEY_SET = "hydra.jwt.access-token"

export type HydraOptions = {
  dsn: string
  publicHost: string
  publicPort: number
  adminPort: number
  issuer: string
  tokenHookUrl: string
  tokenHookSecret: string
  systemSecret: string
  accessTokenLifespanSeconds: number
  logDir: string
  echo?: (line: string) => void
  /** More environment for Hydra, e.g. SSL_CERT_FILE when its token hook is reached over TLS. */
  extraEnv?: NodeJS.ProcessEnv
  /**
   * The benchmark's comparison only: hydra.yml without `oauth2.token_hook` (written
   * into logDir), and neither hook variable in the environment.
   */
  withoutTokenHook?: boolean
  /** The process (and log file) name; default "hydra" ("hydra-no-hook" without the hook). */
  name?: string
  /**
   * Run `migrate sql up` first (default). A second Hydra on the same database
   * skips it: the first one migrated, and two migrations at once race.
   */
  migrate?: boolean
}

export const hydraEnv = (o: HydraOptions): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DSN: o.dsn,
  SECRETS_SYSTEM: o.systemSecret,
  URLS_SELF_ISSUER: o.issuer,
  SERVE_PUBLIC_HOST: o.publicHost,
  SERVE_PUBLIC_PORT: String(o.publicPort),
  SERVE_ADMIN_HOST: o.publicHost,
  SERVE_ADMIN_PORT: String(o.adminPort),
  ...(o.withoutTokenHook ? {} : { OAUTH2_TOKEN_HOOK_URL: o.tokenHookUrl, OAUTH2_TOKEN_HOOK_AUTH_CONFIG_VALUE: o.tokenHookSecret }),
  TTL_ACCESS_TOKEN: `${o.accessTokenLifespanSeconds}s`,
  SQA_OPT_OUT: "true",
  ...o.extraEnv,
})

export const startHydra = async (o: HydraOptions): Promise<ManagedProcess> => {
  const bin = binaryPath("hydra")
  const env = hydraEnv(o)
  if (o.migrate ?? true) {
    const migrate = await runToCompletion(bin, ["migrate", "sql", "up", "-e", "--yes"], env)
    if (migrate.code !== 0) throw new Error(`hydra migrate failed (exit ${migrate.code}):\n${migrate.output.slice(-3000)}`)
  }

  // --dev lets Hydra accept an http:// issuer; only for loopback addresses. An
  // https:// issuer runs without it (the production profile: TLS terminated in front).
  const dev = o.issuer.startsWith("http://") ? ["--dev"] : []
  const config = o.withoutTokenHook ? writeConfigWithoutTokenHook(o.logDir) : join(repoRoot, "hydra", "hydra.yml")
  const proc = startProcess({
    name: o.name ?? (o.withoutTokenHook ? "hydra-no-hook" : "hydra"),
    command: bin,
    args: ["serve", "all", ...dev, "--sqa-opt-out", "-c", config],
    env,
    logDir: o.logDir,
    echo: o.echo,
  })
  const adminUrl = `http://${o.publicHost}:${o.adminPort}`
  await waitFor("Hydra", httpOk(`${adminUrl}/health/ready`), {
    timeoutMs: 60_000,
    abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
  })
  await ensureAccessTokenKeySet(adminUrl)
  await warmJwks(`http://${o.publicHost}:${o.publicPort}`)
  return proc
}

/** hydra.yml with its `oauth2.token_hook` block (the lines indented under it) left out. */
const writeConfigWithoutTokenHook = (dir: string) => {
  const lines = readFileSync(join(repoRoot, "hydra", "hydra.yml"), "utf8").split("\n")
  const start = lines.findIndex((l) => /^ {2}token_hook:/.test(l))
  if (start < 0) throw new Error("hydra/hydra.yml has no oauth2.token_hook block")
  let end = start + 1
  while (end < lines.length && (/^ {3,}/.test(lines[end]!) || lines[end]!.trim() === "")) end++
  mkdirSync(dir, { recursive: true })
  const file = join(dir, "hydra-without-token-hook.yml")
  writeFileSync(file, [...lines.slice(0, start), ...lines.slice(end)].join("\n"))
  return file
}

/**
 * Hydra creates its OpenID key set (RSA-4096: seconds of CPU on a busy 2-core
 * machine) on the first JWKS request — once per request that finds it missing,
 * with no lock. API processes polling the JWKS with a 2 s timeout then start
 * one key generation per poll, and a probe that gives up cancels its request
 * (Hydra logs 499), which starved the machine until no replica got ready. One
 * request, alone and patient, creates it before anything else asks.
 */
export const warmJwks = async (publicUrl: string) => {
  const res = await fetch(`${publicUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(180_000) })
  if (!res.ok) throw new Error(`Hydra's JWKS answered HTTP ${res.status}`)
  await res.arrayBuffer()
}

/** Creates the ES256 signing key set once; an existing set (any algorithm) is kept. */
export const ensureAccessTokenKeySet = async (adminUrl: string, alg = "ES256") => {
  const existing = await fetch(`${adminUrl}/admin/keys/${ACCESS_TOKEN_KEY_SET}`)
  if (existing.ok) return
  if (existing.status !== 404) throw new Error(`Hydra key set lookup failed: HTTP ${existing.status}`)
  const created = await fetch(`${adminUrl}/admin/keys/${ACCESS_TOKEN_KEY_SET}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ alg, use: "sig", kid: `flash-${alg.toLowerCase()}-${randomUUID()}` }),
  })
  if (!created.ok) throw new Error(`Hydra key set creation failed: HTTP ${created.status} ${await created.text()}`)
}
