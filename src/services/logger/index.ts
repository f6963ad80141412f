// Structured logs (pino). Authorization headers, secrets, tokens and connection
// strings are redacted wherever they appear in a logged object.
import pino from "pino"

export const redactedPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers['x-flash-token-hook-secret']",
  "*.clientSecret",
  "clientSecret",
  "*.client_secret",
  "client_secret",
  "*.secret",
  "secret",
  "*.connectionString",
  "connectionString",
  "*.access_token",
  "access_token",
  "*.token",
  "token",
]

export const createLogger = (level: string = process.env.LOG_LEVEL ?? "info") =>
  pino({ level, redact: { paths: redactedPaths, censor: "[redacted]" }, base: { service: "flash-api" } })

export type Logger = ReturnType<typeof createLogger>

export const baseLogger = createLogger()
