// Builds Ory Hydra and FerretDB (and, only when asked, Helm for the chart's
// test) from the Go module proxy into the git-ignored cache, once, and again
// only when the pinned module (go.mod, go.sum, our Go source, build flags)
// changes. The pins live in hydra/go.mod, ferretdb/go.mod and helm/go.mod and
// nowhere else.
import { spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { binDir, repoRoot } from "./paths"

type GoProgram = {
  name: "hydra" | "ferretdb" | "helm"
  moduleDir: string
  target: string
  tags: string[]
  cgo: boolean
  approxMinutes: number
}

const programs: GoProgram[] = [
  {
    name: "ferretdb",
    moduleDir: join(repoRoot, "ferretdb"),
    target: ".",
    tags: [],
    cgo: false,
    approxMinutes: 4,
  },
  {
    // Hydra's Makefile builds with these tags for SQLite support (cgo).
    name: "hydra",
    moduleDir: join(repoRoot, "hydra"),
    target: "github.com/ory/hydra/v2",
    tags: ["sqlite", "sqlite_omit_load_extension"],
    cgo: true,
    approxMinutes: 5,
  },
  {
    // Only the chart's test needs it: not in ensureBinaries' default list, so
    // `npm start` never builds it.
    name: "helm",
    moduleDir: join(repoRoot, "helm"),
    target: "helm.sh/helm/v3/cmd/helm",
    tags: [],
    cgo: false,
    approxMinutes: 4,
  },
]

export class GoMissingError extends Error {
  override name = "GoMissingError"
  constructor() {
    super(
      "Go (1.24 or newer) is needed to build Ory Hydra and FerretDB natively, and `go` was not found on PATH.\n" +
        "Install Go from your package manager, or, with Docker, run `docker compose up` instead " +
        "(the same stack from docker-compose.yml).",
    )
  }
}

const fingerprint = (p: GoProgram): string => {
  const h = createHash("sha256")
  for (const f of readdirSync(p.moduleDir).sort()) {
    if (f === "go.mod" || f === "go.sum" || f.endsWith(".go")) h.update(f).update(readFileSync(join(p.moduleDir, f)))
  }
  h.update(JSON.stringify({ target: p.target, tags: p.tags, cgo: p.cgo }))
  return h.digest("hex")
}

export const binaryPath = (name: GoProgram["name"]) => join(binDir, name)

const upToDate = (p: GoProgram) => {
  const stamp = `${binaryPath(p.name)}.fingerprint`
  return existsSync(binaryPath(p.name)) && existsSync(stamp) && readFileSync(stamp, "utf8") === fingerprint(p)
}

/** The stack's programs (not Helm, which only the chart's test builds). */
export const binariesUpToDate = () => programs.filter((p) => p.name !== "helm").every(upToDate)

const build = (p: GoProgram, log: (line: string) => void): Promise<void> =>
  new Promise((resolvePromise, reject) => {
    mkdirSync(binDir, { recursive: true })
    // Build to a temporary name and rename, so a concurrent launcher never runs half a binary.
    const tmp = `${binaryPath(p.name)}.tmp-${process.pid}`
    const args = ["build", "-v", "-o", tmp]
    if (p.tags.length) args.push("-tags", p.tags.join(","))
    args.push(p.target)
    log(`[build] ${p.name}: compiling from the Go module proxy (first time: about ${p.approxMinutes} min)`)
    const started = Date.now()
    const child = spawn("go", args, {
      cwd: p.moduleDir,
      env: { ...process.env, CGO_ENABLED: p.cgo ? "1" : "0" },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let packages = 0
    let tail = ""
    const onData = (chunk: Buffer) => {
      const text = chunk.toString()
      tail = (tail + text).slice(-4000)
      for (const line of text.split("\n")) {
        if (!line.trim() || line.startsWith("#")) continue
        packages += 1
        if (packages % 50 === 0) log(`[build] ${p.name}: ${packages} packages compiled…`)
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) {
        rmSync(tmp, { force: true })
        reject(new Error(`go build of ${p.name} failed (exit ${code}):\n${tail}`))
        return
      }
      renameSync(tmp, binaryPath(p.name))
      writeFileSync(`${binaryPath(p.name)}.fingerprint`, fingerprint(p))
      log(`[build] ${p.name}: done in ${Math.round((Date.now() - started) / 1000)} s`)
      resolvePromise()
    })
  })

export const ensureBinaries = async (
  log: (line: string) => void = (l) => console.error(l),
  only: GoProgram["name"][] = ["ferretdb", "hydra"],
): Promise<void> => {
  const stale = programs.filter((p) => only.includes(p.name) && !upToDate(p))
  if (stale.length === 0) return
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) throw new GoMissingError()
  // One at a time: on two cores a parallel build is no faster and starves everything else.
  for (const p of stale) await build(p, log)
}
