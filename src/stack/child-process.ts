// Starts the stack's children with their output in log files, and stops them:
// SIGTERM first, SIGKILL after a grace period, so nothing is left running.
import { ChildProcess, spawn } from "node:child_process"
import { appendFileSync, closeSync, createWriteStream, mkdirSync, openSync } from "node:fs"
import { join } from "node:path"

export type ManagedProcess = {
  name: string
  pid: number
  logFile: string
  exited: Promise<number | null>
  isRunning: () => boolean
  stop: (graceMs?: number) => Promise<void>
}

export const startProcess = (opts: {
  name: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
  logDir: string
  echo?: (line: string) => void
}): ManagedProcess => {
  mkdirSync(opts.logDir, { recursive: true })
  const logFile = join(opts.logDir, `${opts.name}.log`)
  // Without an echo the child writes its log file itself: its output does not
  // pass through this process (at hundreds of requests per second Hydra's and
  // the API's lines cost the launcher, the bench's load generator or jest CPU
  // on the same cores). With one, every line is also shown here.
  const fd = opts.echo ? undefined : openSync(logFile, "a")
  const log = opts.echo ? createWriteStream(logFile, { flags: "a" }) : undefined
  let child: ChildProcess
  try {
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: fd === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", fd, fd],
    })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`)
  let running = true
  const forward = (chunk: Buffer) => {
    log?.write(chunk)
    if (opts.echo) for (const line of chunk.toString().split("\n")) if (line.trim()) opts.echo(`[${opts.name}] ${line}`)
  }
  child.stdout?.on("data", forward)
  child.stderr?.on("data", forward)
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      running = false
      const line = `\n[launcher] ${opts.name} exited (code ${code}, signal ${signal})\n`
      if (log) log.end(line)
      else {
        try {
          appendFileSync(logFile, line)
        } catch {
          // the log dir is gone already (a scratch stack removed after its stop)
        }
      }
      resolve(code)
    })
    child.on("error", () => {
      running = false
      resolve(null)
    })
  })
  return {
    name: opts.name,
    pid: child.pid,
    logFile,
    exited,
    isRunning: () => running,
    stop: async (graceMs = 10_000) => {
      if (!running) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => running && child.kill("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Runs a command to completion, returning its exit code and combined output. */
export const runToCompletion = (command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (c: Buffer) => (output += c.toString()))
    child.stderr.on("data", (c: Buffer) => (output += c.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })
