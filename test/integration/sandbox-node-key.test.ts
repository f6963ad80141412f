import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadOrCreateNodeKey } from "@/services/lightning/sandbox"

describe("sandbox node key", () => {
  it("keeps its key in the data dir, private to the owner, across restarts", () => {
    const dir = mkdtempSync(join(tmpdir(), "flash-node-key-"))
    try {
      const a = loadOrCreateNodeKey(dir)
      expect(loadOrCreateNodeKey(dir)).toBe(a)
      expect(statSync(join(dir, "lightning-node.key")).mode & 0o777).toBe(0o600)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
