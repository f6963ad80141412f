import { readFileSync } from "node:fs"
import { currentSdl, schemaFile } from "../../scripts/write-schema"

describe("the committed schema file", () => {
  it("matches the schema the server builds (run `npm run schema` after changing it)", () => {
    expect(readFileSync(schemaFile, "utf8")).toBe(currentSdl())
  })
})
