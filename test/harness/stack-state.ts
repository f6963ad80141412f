// What the global setup started, as the tests see it: written to a JSON file
// whose path travels in FLASH_TEST_STACK_FILE (Jest workers inherit the env).
import { readFileSync } from "node:fs"

export type TestStackState = {
  dataDir: string
  urls: {
    api: string
    graphql: string
    graphqlWs: string
    tokenEndpoint: string
    jwks: string
    hydraPublic: string
    hydraAdmin: string
    mongodb: string
    redis?: string
    /** The API's metrics listener (Prometheus text at `${metrics}/metrics`), never the API port. */
    metrics?: string
  }
  redisKeyPrefix?: string
  tokenHookSecret: string
  postgresDatabase?: string
  /** FerretDB's PostgreSQL database (its postgresql handler); absent when FerretDB runs on SQLite. */
  ferretdbPostgresqlUrl?: string
  apiEnv: Record<string, string>
}

export const STATE_ENV = "FLASH_TEST_STACK_FILE"

export const testStack = (): TestStackState => {
  const file = process.env[STATE_ENV]
  if (!file) throw new Error(`${STATE_ENV} is not set: run the tests with \`npm test\` (the global setup starts the stack)`)
  return JSON.parse(readFileSync(file, "utf8")) as TestStackState
}
