// The dev launcher (`npm start` runs the same file) as a test starts it: a child
// process whose output is kept, resolved once it prints that the stack is up,
// and stopped with SIGTERM; plus what a test needs to check no child outlives it.
import { ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "@/stack/paths"

export type Launched = { child: ChildProcess; output: () => string }

/** `env` is the launcher's whole environment (spread process.env in for an inherited one). */
export const launch = (env: NodeJS.ProcessEnv): Promise<Launched> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/stack/cli.ts")], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    const timer = setTimeout(() => reject(new Error(`launcher not up in 90 s:\n${out}`)), 90_000)
    const onData = (c: Buffer) => {
      out += c.toString()
      if (out.includes("the stack is up")) {
        clearTimeout(timer)
        resolve({ child, output: () => out })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`launcher exited with ${code}:\n${out}`))
    })
  })

/** Every process whose parent chain leads to `root`, read from /proc. */
export const descendants = (root: number): number[] => {
  const parents = new Map<number, number>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      parents.set(Number(entry), ppid)
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = []
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent !== pid) continue
      found.push(child)
      walk(child)
    }
  }
  walk(root)
  return found
}

export const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Grandchildren (tsx's esbuild helper) exit once their parent's pipes close: allow them 5 s. */
export const stillAliveAfter = async (pids: number[], ms = 5000) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100))
  return pids.filter(alive).map((pid) => {
    try {
      return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")}`
    } catch {
      return String(pid)
    }
  })
}

export const stopWithSigterm = async (l: Launched) => {
  const children = descendants(l.child.pid!)
  const exited = new Promise<number | null>((r) => l.child.once("exit", (code) => r(code)))
  l.child.kill("SIGTERM")
  const code = await exited
  return { code, children }
}
