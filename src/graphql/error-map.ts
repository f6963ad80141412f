// One map from domain errors (values, see src/domain/shared/errors.ts) to what a
// client sees: a stable `code` and a message. Each area keeps its own table in
// ./errors/, keyed by the domain error's own `code` (never by `name` or
// `constructor.name`); this file only merges them. test/unit/error-tables.test.ts
// checks that every domain error has a row and every row a domain error. An error
// without a row (or not a domain error at all) is logged and reaches the client as
// INTERNAL_ERROR, never with its text.
import { DomainError } from "@/domain/shared/errors"
import type { Logger } from "@/services/logger"
import { metrics } from "@/services/metrics"
import { apiTokensErrorTable } from "./errors/api-tokens"
import { sharedErrorTable } from "./errors/shared"
import type { ErrorMapping, ErrorTable } from "./errors/mapping"
import { walletErrorTable } from "./errors/wallets"

export const errorTables: Readonly<Record<string, ErrorTable>> = {
  shared: sharedErrorTable,
  wallets: walletErrorTable,
  apiTokens: apiTokensErrorTable,
}
const byCode = new Map<string, ErrorMapping>(Object.values(errorTables).flatMap((t) => Object.entries(t)))

export type ClientError = { code: string; message: string; path?: string[] }

/** The stable code and message of a domain error that has a row; undefined otherwise. */
export const describeError = (e: Error): ClientError | undefined => {
  const m = e instanceof DomainError ? byCode.get(e.code) : undefined
  return m && { code: m.code, message: typeof m.message === "function" ? m.message(e) : m.message }
}

export const mapError = (e: Error, logger?: Logger): ClientError => {
  const described = describeError(e)
  if (!described) {
    logger?.error({ errName: e.name, err: e.message }, "unmapped error")
    metrics.errorsAnswered.inc({ code: "INTERNAL_ERROR" })
    return { code: "INTERNAL_ERROR", message: "Internal error, please try again" }
  }
  metrics.errorsAnswered.inc({ code: described.code })
  return described
}
