import { AuthRejection, checkedToBearerToken } from "@/domain/auth"

const reason = (raw: unknown) => {
  const r = checkedToBearerToken(raw)
  return r instanceof AuthRejection ? r.reason : "ok"
}

describe("reading the Authorization header", () => {
  it.each([
    [undefined, "missing_token"],
    ["", "missing_token"],
    ["Basic dXNlcjpwYXNz", "malformed_header"],
    ["Bearer", "malformed_header"],
    ["Bearer not-a-jwt", "malformed_header"],
    ["Bearer a.b.c extra", "malformed_header"],
    [["Bearer a.b.c"], "malformed_header"],
    [`Bearer ${"a".repeat(9000)}.b.c`, "header_too_large"],
    ["Bearer aaa.bbb.ccc", "ok"],
    ["bearer aaa.bbb.ccc", "ok"],
    ["Bearer aaa.bbb.", "ok"],
  ])("%j → %s", (raw, expected) => {
    expect(reason(raw)).toBe(expected)
  })

  it("returns the compact JWT itself", () => {
    expect(checkedToBearerToken("Bearer eyJ.eyJ.sig")).toBe("eyJ.eyJ.sig")
  })
})
