// The committed Postman collection, run headless with newman against the
// stack with a fresh API token: what a Postman user gets after the three clicks.
import { join } from "node:path"
import newman, { NewmanRunSummary } from "newman"
import { repoRoot } from "@/stack/paths"
import { testStack } from "../harness/stack-state"
import { createApiToken } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

const run = (envVar: Array<{ key: string; value: string }>) =>
  new Promise<NewmanRunSummary>((resolve, reject) =>
    newman.run(
      {
        collection: join(repoRoot, "postman", "flash-api-tokens.postman_collection.json"),
        environment: join(repoRoot, "postman", "flash-local.postman_environment.json"),
        envVar,
        reporters: [],
        timeoutRequest: 10_000,
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    ),
  )

describe("the Postman collection", () => {
  it("runs green with newman using a fresh API token", async () => {
    const merchant = await devSession()
    const token = await createApiToken(merchant.token, { scopes: ["read", "receive"] })
    const summary = await run([
      { key: "graphqlUrl", value: stack.urls.graphql },
      { key: "tokenUrl", value: stack.urls.tokenEndpoint },
      { key: "clientId", value: token.clientId },
      { key: "clientSecret", value: token.clientSecret },
    ])
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? "?"}: ${f.error.message}`)
    expect(failures).toEqual([])
    // four GraphQL requests and one token request (the token is cached after it)
    expect(summary.run.stats.requests.total).toBe(5)
    expect(summary.run.stats.assertions.total).toBe(5)
  })

  it("fails clearly when the secret is wrong", async () => {
    const merchant = await devSession()
    const token = await createApiToken(merchant.token, { scopes: ["read"] })
    const summary = await run([
      { key: "graphqlUrl", value: stack.urls.graphql },
      { key: "tokenUrl", value: stack.urls.tokenEndpoint },
      { key: "clientId", value: token.clientId },
      { key: "clientSecret", value: "flash_sk_wrong" },
    ])
    expect(summary.run.failures.map((f) => f.error.message).join("\n")).toMatch(/token request refused: invalid_client/)
  })
})
