// The README's curl commands, run as written (with this stack's ports), so the
// docs cannot rot.
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "@/stack/paths"
import { testStack } from "../harness/stack-state"
import { randomPhone } from "../support/phone"

const stack = testStack()

const readmeCurlExample = () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
  const block = /<!-- curl-example:start -->\s*```sh\n([\s\S]*?)```\s*<!-- curl-example:end -->/.exec(readme)
  if (!block) throw new Error("README.md has no curl-example block")
  return block[1]!
}

describe("the README's curl commands", () => {
  it("create a token, exchange it at the token URL and read the wallets", () => {
    const phone = randomPhone()
    const script = readmeCurlExample()
      .replaceAll("http://127.0.0.1:4012", stack.urls.api)
      .replaceAll("http://127.0.0.1:4444", stack.urls.hydraPublic)
      .replaceAll("+15550001111", phone)
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", timeout: 60_000 })
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const out = JSON.parse(run.stdout) as { data: { me: { defaultAccount: { wallets: Array<{ walletCurrency: string }> } } } }
    expect(out.data.me.defaultAccount.wallets.map((w) => w.walletCurrency).sort()).toEqual(["BTC", "USD"])
  })
})
