// Waits for a condition itself instead of sleeping a guessed time: polls until
// it holds, with a generous deadline (a loaded 2-core machine is slow, and a
// deadline here is a failure bound, not a timing claim).
export const eventually = async (what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 25) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
