// Reads the API process's structured log (pino JSON lines) written by the stack.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { testStack } from "../harness/stack-state"

export const apiLogLines = (): Array<Record<string, unknown>> =>
  readFileSync(join(testStack().dataDir, "logs", "api.log"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** Waits briefly for a log line matching `predicate` (the API writes asynchronously). */
export const waitForLogLine = async (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hit = apiLogLines().find(predicate)
    if (hit || Date.now() > deadline) return hit
    await new Promise((r) => setTimeout(r, 50))
  }
}
