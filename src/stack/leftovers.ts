// A launcher killed with SIGKILL (or by an OOM killer, or with its terminal)
// cannot stop its children: FerretDB, Hydra and the API keep running, holding
// the ports and the data dir, and the next `npm start` fails on a port in use.
// So every start lists its children in <dataDir>/stack-pids.json, and the next
// start with the same data dir first stops whatever on that list still runs.
// A pid can be reused by an unrelated process, so one is only stopped while
// its command line is still the one recorded.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

type Recorded = { name: string; pid: number; cmdline: string }

const fileOf = (dataDir: string) => join(dataDir, "stack-pids.json")

const cmdlineOf = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
  } catch {
    return undefined
  }
}

// Still the recorded process: a zombie (no one reaps it) has an empty command
// line, and a reused pid another one, so neither counts.
const alive = (r: Recorded) => cmdlineOf(r.pid) === r.cmdline

/** Records this launcher and its running children (call again after each start). */
export const recordChildren = (dataDir: string, children: Array<{ name: string; pid: number }>) => {
  const entry = (name: string, pid: number): Recorded => ({ name, pid, cmdline: cmdlineOf(pid) ?? "" })
  const recorded = { launcher: entry("launcher", process.pid), children: children.map((c) => entry(c.name, c.pid)) }
  writeFileSync(fileOf(dataDir), JSON.stringify(recorded, null, 2))
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`another launcher (pid ${pid}) is running with ${dataDir}: stop it first, or use another FLASH_DATA_DIR`)
    this.name = "DataDirInUseError"
  }
}

const isRecorded = (r: unknown): r is Recorded =>
  typeof r === "object" &&
  r !== null &&
  Number.isInteger((r as Recorded).pid) &&
  (r as Recorded).pid > 1 &&
  typeof (r as Recorded).cmdline === "string" &&
  (r as Recorded).cmdline !== ""

/** Forgets the list once this launcher stopped its children itself. */
export const forgetChildren = (dataDir: string) => rmSync(fileOf(dataDir), { force: true })

/**
 * Stops the children an earlier launcher with this data dir left running:
 * SIGTERM, then SIGKILL after `graceMs`. Returns what it stopped. Refuses
 * (DataDirInUseError) while that launcher itself is still alive.
 */
export const stopLeftovers = async (dataDir: string, graceMs = 10_000): Promise<Recorded[]> => {
  const file = fileOf(dataDir)
  if (!existsSync(file)) return []
  let recorded: Recorded[] = []
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { launcher?: unknown; children?: unknown }
    if (isRecorded(parsed.launcher) && parsed.launcher.pid !== process.pid && alive(parsed.launcher)) {
      throw new DataDirInUseError(dataDir, parsed.launcher.pid)
    }
    recorded = Array.isArray(parsed.children) ? parsed.children.filter(isRecorded) : []
  } catch (e) {
    if (e instanceof DataDirInUseError) throw e
    // An unreadable list names nothing to stop.
  }
  const still = recorded.filter((r) => r.pid !== process.pid && alive(r))
  for (const r of still) {
    try {
      process.kill(r.pid, "SIGTERM")
    } catch {
      // gone in between
    }
  }
  const deadline = Date.now() + graceMs
  while (still.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100))
  for (const r of still) {
    if (!alive(r)) continue
    try {
      process.kill(r.pid, "SIGKILL")
    } catch {
      // gone in between
    }
  }
  const killDeadline = Date.now() + 5_000
  while (still.some(alive) && Date.now() < killDeadline) await new Promise((res) => setTimeout(res, 50))
  forgetChildren(dataDir)
  return still
}

/**
 * The children a launcher starts, in order: each one is recorded in the data
 * dir as it is tracked (so a killed launcher's next run can stop it), and
 * `stop` stops them in reverse order (the API first, so it stops taking
 * requests before its dependencies go), then forgets the record.
 */
export const launchedChildren = <P extends { name: string; pid: number; stop: () => Promise<void> }>(dataDir: string) => {
  const processes: P[] = []
  return {
    processes,
    track: <T extends P>(p: T): T => {
      processes.push(p)
      recordChildren(dataDir, processes)
      return p
    },
    stop: async () => {
      for (const p of [...processes].reverse()) await p.stop()
      forgetChildren(dataDir)
    },
  }
}

