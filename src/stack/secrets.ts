// Dev-default secrets for the embedded stack: generated once into the data dir
// (mode 0600) and reused on restart, so Hydra can still read the clients it
// stored. Never committed; production passes them in the environment.
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export type StackSecrets = { hydraSystemSecret: string; tokenHookSecret: string }

export const loadOrCreateSecrets = (dataDir: string, env: NodeJS.ProcessEnv = process.env): StackSecrets => {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, "secrets.json")
  let stored: Partial<StackSecrets> = {}
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as Partial<StackSecrets>
  const secrets: StackSecrets = {
    hydraSystemSecret: stored.hydraSystemSecret ?? randomBytes(32).toString("base64url"),
    tokenHookSecret: stored.tokenHookSecret ?? randomBytes(32).toString("base64url"),
  }
  if (stored.hydraSystemSecret !== secrets.hydraSystemSecret || stored.tokenHookSecret !== secrets.tokenHookSecret) {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  }
  return {
    hydraSystemSecret: env.SECRETS_SYSTEM || secrets.hydraSystemSecret,
    tokenHookSecret: env.TOKEN_HOOK_SECRET || secrets.tokenHookSecret,
  }
}
