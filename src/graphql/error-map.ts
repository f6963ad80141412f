// One map from domain errors (values, see src/domain/shared/errors.ts) to what a
// client sees: a stable `code` and a message. Each area keeps its own typed
// table in ./errors/ (`satisfies Record<ErrorName, ErrorMapping>` makes the
// compiler keep it complete); this file only merges them. An error without an
// entry is logged and reaches the client as INTERNAL_ERROR, never with its text.
import type { Logger } from "@/services/logger"
import { apiTokensErrorTable } from "./errors/api-tokens"
import { sharedErrorTable } from "./errors/shared"
import type { ErrorTable } from "./errors/mapping"
import { walletErrorTable } from "./errors/wallets"


const tables: ErrorTable[] = [sharedErrorTable, walletErrorTable, apiTokensErrorTable]
const byName: ErrorTable = Object.assign({}, ...tables)

export type ClientError = { code: string; message: string; path?: string[] }

export const mapError = (e: Error, logger?: Logger): ClientError => {
  const m = byName[e.name] ?? byName[e.constructor.name]
  if (!m) {
    logger?.error({ errName: e.name, err: e.message }, "unmapped error")
    return { code: "INTERNAL_ERROR", message: "Internal error, please try again" }
  }
  return { code: m.code, message: typeof m.message === "function" ? m.message(e) : m.message }
}
