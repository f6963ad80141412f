// The shape of one row of an error table (./api-tokens.ts, ./shared.ts, ./wallets.ts),
// apart from ../error-map.ts, which merges the tables, so the tables need not import it.
// A table is keyed by the domain error's `code` (src/domain/shared/errors.ts),
// written as `[SomeError.code]`, so every key names an existing class.
export type ErrorMapping = { code: string; message: string | ((e: Error) => string) }
export type ErrorTable = Record<string, ErrorMapping>
