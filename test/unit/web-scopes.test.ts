// The token page (a browser script that cannot import TS) writes out the scope
// list; this keeps it equal to the domain's, the one source.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { API_TOKEN_SCOPES } from "@/domain/api-tokens"

describe("the token page's scope list", () => {
  it("is the domain's API_TOKEN_SCOPES, in the same order", () => {
    const script = readFileSync(join(__dirname, "../../src/servers/web/assets/api-tokens.js"), "utf8")
    const m = /const ALL_SCOPES = (\[[^\]]*\])/.exec(script)
    expect(m).not.toBeNull()
    expect(JSON.parse(m![1]!)).toEqual([...API_TOKEN_SCOPES])
  })
})
