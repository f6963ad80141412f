// The shape of one row of an error table (./api-tokens.ts, ./shared.ts, ./wallets.ts),
// apart from ../error-map.ts, which merges the tables, so the tables need not import it.
export type ErrorMapping = { code: string; message: string | ((e: Error) => string) }
export type ErrorTable = Record<string, ErrorMapping>
