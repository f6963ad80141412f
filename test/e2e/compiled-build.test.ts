// What ships is compiled (issue 19, item 7): `npm run build` turns the API and
// the admin CLI into JavaScript that plain `node` runs, without tsx, and that
// build serves a real request as the source does: an API-token JWT from Hydra
// answered over GraphQL, and the token page with the assets copied beside it.
import { readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { startApiReplica } from "@/stack/api-replica"
import { runToCompletion } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"
import { testStack } from "../harness/stack-state"
import { merchantWithToken } from "../support/api-tokens"
import { compiledBuildDir, runBuild } from "@/stack/compiled-build"

const stack = testStack()
const build = compiledBuildDir("test")
const { outdir } = build
afterAll(() => build.remove())

describe("the compiled build", () => {
  it("is JavaScript for plain node: main.js and admin-cli.js with their assets, no TypeScript and no tsx", async () => {
    const r = await runBuild(build)
    expect(r.code).toBe(0)
    expect(readdirSync(outdir).sort()).toEqual(["admin-cli.js", "admin-cli.js.map", "assets", "main.js", "main.js.map"])
    expect(readdirSync(join(outdir, "assets")).sort()).toEqual(["api-tokens.css", "api-tokens.js", "icon.svg"])
    const main = readFileSync(join(outdir, "main.js"), "utf8")
    expect(main).not.toMatch(/require\("tsx|from "tsx|\.ts"\)/)
    // Our code is inside; the dependencies stay in node_modules (installed with --omit=dev in the image).
    expect(main).toContain('require("graphql-shield")')
    expect(main).not.toMatch(/require\("@\//)
  })

  it("serves an API-token request and the token page when plain node runs it, and the admin CLI answers", async () => {
    const api = await startApiReplica({
      apiEnv: stack.apiEnv,
      primaryApiUrl: stack.urls.api,
      dataDir: stack.dataDir,
      name: "api-compiled",
      entry: join(outdir, "main.js"),
    })
    try {
      const cmdline = readFileSync(`/proc/${api.process.pid}/cmdline`, "utf8").split("\0")
      expect(cmdline).toContain(join(outdir, "main.js"))
      expect(cmdline).not.toContain("tsx")

      const { jwt } = await merchantWithToken(["read"])
      const res = await fetch(api.graphql, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` },
        body: JSON.stringify({ query: "{ me { defaultAccount { wallets { id walletCurrency } } } }" }),
      })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { data?: { me?: { defaultAccount?: { wallets?: unknown[] } } }; errors?: unknown }
      expect(body.errors).toBeUndefined()
      expect(body.data?.me?.defaultAccount?.wallets).toHaveLength(2)

      const page = await fetch(`${api.url}/settings/api-tokens`)
      expect(page.status).toBe(200)
      const script = await fetch(`${api.url}/settings/api-tokens/assets/api-tokens.js`)
      expect(script.status).toBe(200)
      expect(await script.text()).toBe(readFileSync(join(repoRoot, "src", "servers", "web", "assets", "api-tokens.js"), "utf8"))
    } finally {
      await api.process.stop()
    }

    const cli = await runToCompletion(process.execPath, [join(outdir, "admin-cli.js")], { ...process.env }, repoRoot)
    expect(cli.code).toBe(2)
    expect(cli.output).toContain("usage: npm run admin --")
  })
})
