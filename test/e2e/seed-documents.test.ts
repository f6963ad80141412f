// The seed's documents and the static-key commands of the docs, sent as written
// (docs/authentication.md, blocks seed-create, seed-curl and static-key-example; only the
// address, the phone number and the token placeholder are substituted).
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "@/stack/paths"
import { testStack } from "../harness/stack-state"
import { gql } from "../support/api-tokens"
import { devSession } from "../support/tokens"
import { randomPhone } from "../support/phone"

const stack = testStack()

const DOC = "docs/authentication.md"
const docBlock = (name: string, lang: string) => {
  const doc = readFileSync(join(repoRoot, DOC), "utf8")
  const block = new RegExp(`<!-- ${name}:start -->\\s*\`\`\`${lang}\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}:end -->`).exec(doc)
  if (!block) throw new Error(`${DOC} has no ${name} block`)
  return block[1]!
}

const SEED_CREATE = docBlock("seed-create", "graphql")
const SEED_CURL = docBlock("seed-curl", "sh")

type SeedToken = { id: string; name: string; token: string; scopes: string[]; expiresAt: number; warning: string }
const runSeedCreate = async (document: string) => {
  const session = await devSession()
  const { status, body } = await gql(session.token, document)
  expect(status).toBe(200)
  expect(body.errors).toBeUndefined()
  expect(body.data.apiTokenCreate.errors).toEqual([])
  return body.data.apiTokenCreate.apiToken as SeedToken
}

/** The seed's curl, as written, against this stack with `token` in place of the placeholder. */
const runSeedCurl = (token: string) => {
  expect(SEED_CURL).toContain("https://api.test.flashapp.me/graphql")
  expect(SEED_CURL).toContain("flash_<your-token-here>")
  const script = SEED_CURL.replaceAll("https://api.test.flashapp.me/graphql", stack.urls.graphql).replaceAll(
    "flash_<your-token-here>",
    token,
  )
  const run = spawnSync("bash", ["-euo", "pipefail", "-c", `${script.trimEnd()} -s -w '\\n%{http_code}'`], { encoding: "utf8", timeout: 60_000 })
  expect(run.stderr).toBe("")
  expect(run.status).toBe(0)
  const lines = run.stdout.trimEnd().split("\n")
  return { status: Number(lines.pop()), body: JSON.parse(lines.join("\n")) as { errors?: Array<{ message: string; extensions?: { code?: string } }> } }
}

describe("the seed's documents, as written", () => {
  it("apiTokenCreate selecting apiToken { id name token scopes expiresAt warning } returns the secret once, OAuth2-only, with a one-sentence warning on how to use it", async () => {
    const before = Date.now()
    const created = await runSeedCreate(SEED_CREATE)
    expect(created).toMatchObject({ name: "BTCPayServer Integration", scopes: ["read", "write"] })
    expect(created.token).toMatch(/^flash_sk_[0-9A-Za-z]{49}$/)
    expect(created.expiresAt * 1000).toBeGreaterThanOrEqual(before + 31536000 * 1000 - 5000)
    const usage = created.warning.split(/(?<=\.) /).find((s) => s.includes("OAuth2-only"))!
    expect(usage).toMatch(/^This token is OAuth2-only: exchange its id and secret at .+, or create a token with the static-key option .+\.$/)
    expect(usage).toContain(stack.urls.tokenEndpoint)

    // The seed's curl with that (OAuth2-only) token: refused, saying how to use it.
    const refused = runSeedCurl(created.token)
    expect(refused.status).toBe(401)
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_OAUTH2_ONLY")
  })

  it("with staticKey: true added, the seed's curl authenticates; Flash's schema then asks for the walletId it lacks", async () => {
    const document = SEED_CREATE.replace('scopes: ["read", "write"]\n', 'scopes: ["read", "write"]\n    staticKey: true\n')
    expect(document).not.toBe(SEED_CREATE)
    const created = await runSeedCreate(document)
    const r = runSeedCurl(created.token)
    expect(r.status).toBe(400)
    expect(r.body.errors).toEqual([
      expect.objectContaining({
        message: 'Field "LnInvoiceCreateInput.walletId" of required type "WalletId!" was not provided.',
        extensions: expect.objectContaining({ code: "GRAPHQL_VALIDATION_FAILED" }),
      }),
    ])
  })
})

describe("the static-key commands of docs/authentication.md", () => {
  it("create a static-key token and create an invoice with curl and the Bearer alone", () => {
    const script = docBlock("static-key-example", "sh")
      .replaceAll("http://127.0.0.1:4012", stack.urls.api)
      .replaceAll("+15550001111", randomPhone())
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", timeout: 60_000 })
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const out = JSON.parse(run.stdout) as { data: { lnInvoiceCreate: { invoice: { paymentRequest: string }; errors: unknown[] } } }
    expect(out.data.lnInvoiceCreate.errors).toEqual([])
    expect(out.data.lnInvoiceCreate.invoice.paymentRequest).toMatch(/^lnbcrt/)
  })
})
