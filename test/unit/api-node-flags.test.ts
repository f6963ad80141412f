import { API_MAX_OLD_SPACE_MB, apiNodeFlags } from "@/stack/api-node-flags"

describe("the API processes' node flags", () => {
  it("cap the old space at 1024 MB, sized for the API rather than the machine", () => {
    expect(API_MAX_OLD_SPACE_MB).toBe(1024)
    expect(apiNodeFlags({})).toEqual(["--max-old-space-size=1024"])
    expect(apiNodeFlags({ NODE_OPTIONS: "--enable-source-maps" })).toEqual(["--max-old-space-size=1024"])
  })

  it("leave the cap to NODE_OPTIONS when it sets one (a command-line flag would override it)", () => {
    expect(apiNodeFlags({ NODE_OPTIONS: "--max-old-space-size=2048" })).toEqual([])
  })
})
