// The settings the dev launcher (`npm start`) gave its API, without any secret:
// written to <data dir>/stack-settings.json when the stack is up, so the admin
// CLI works against the running dev stack without the user copying addresses.
// Only the names below are ever written or read, so a secret cannot slip in;
// an address that carries credentials (mongodb://user:password@…) is withheld.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import type { ConfigVariable } from "./index"

export const DEV_STACK_SETTINGS_FILE = "stack-settings.json"

export const DEV_STACK_SETTINGS = [
  "MONGODB_URI",
  "HYDRA_PUBLIC_URL",
  "HYDRA_ADMIN_URL",
  "REDIS_URL",
  "REDIS_KEY_PREFIX",
  "API_PUBLIC_URL",
  "ADMIN_SOCKET",
] as const satisfies readonly ConfigVariable[]

export type DevStackSettings = Partial<Record<(typeof DEV_STACK_SETTINGS)[number], string>>
type Name = (typeof DEV_STACK_SETTINGS)[number]

const pick = (from: Record<string, unknown>): DevStackSettings =>
  Object.fromEntries(DEV_STACK_SETTINGS.flatMap((k) => (typeof from[k] === "string" && from[k] !== "" ? [[k, from[k]]] : [])))

/** scheme://user[:password]@host…: the part before the host names someone. */
const carriesCredentials = (value: string) => /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)

export const devStackSettingsPath = (dataDir: string) => join(resolve(dataDir), DEV_STACK_SETTINGS_FILE)

/** Called by the launcher once its API answers; replaces the file atomically. */
export const writeDevStackSettings = (dataDir: string, apiEnv: Record<string, string | undefined>): string => {
  const file = devStackSettingsPath(dataDir)
  const all = pick(apiEnv)
  const withheld = (Object.keys(all) as Name[]).filter((k) => carriesCredentials(all[k]!))
  for (const k of withheld) delete all[k]
  const body = {
    writtenBy: "npm start (src/stack/stack.ts): the settings of the API it runs; no secrets",
    settings: all,
    ...(withheld.length > 0 ? { withheld } : {}),
  }
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
  return file
}

/** What the launcher wrote in this data dir, or undefined when it wrote nothing there. */
export const readDevStackSettings = (
  dataDir: string,
): { file: string; settings: DevStackSettings; withheld: Name[] } | undefined => {
  const file = devStackSettingsPath(dataDir)
  if (!existsSync(file)) return undefined
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { settings?: Record<string, unknown>; withheld?: unknown }
  const withheld = Array.isArray(parsed.withheld) ? DEV_STACK_SETTINGS.filter((k) => (parsed.withheld as unknown[]).includes(k)) : []
  return { file, settings: pick(parsed.settings ?? {}), withheld }
}
