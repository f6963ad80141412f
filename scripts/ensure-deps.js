// Runs before `npm start` and `npm test`: installs the npm dependencies when
// node_modules is missing or was installed from another package-lock.json, and
// Debian's chromium (the browser the web-page test drives with playwright-core;
// `npx playwright install` cannot download here) when it is missing, so the
// README's two commands work on a fresh clone. (The Go-built Hydra and FerretDB
// binaries are built by the stack launcher itself, see src/stack.)
"use strict"
const { createHash } = require("node:crypto")
const { existsSync, readFileSync, writeFileSync } = require("node:fs")
const { join } = require("node:path")
const { spawnSync } = require("node:child_process")

const root = join(__dirname, "..")
const lockHash = createHash("sha256").update(readFileSync(join(root, "package-lock.json"))).digest("hex")
const stamp = join(root, "node_modules", ".flash-lock-sha256")

const CHROMIUM = "/usr/bin/chromium"

const ensureChromium = () => {
  if (existsSync(CHROMIUM)) return
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  if (!isRoot || !existsSync("/etc/debian_version")) {
    console.error(`[setup] ${CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium) to run the web-page test`)
    return
  }
  const aptInstall = () => {
    console.error("[setup] installing Debian's chromium for the web-page test: apt-get install -y --no-install-recommends chromium")
    return spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status
  }
  if (aptInstall() === 0) return
  // Only refresh the package lists when the install failed without it.
  console.error("[setup] apt-get install failed; running apt-get update and trying again")
  spawnSync("apt-get", ["update"], { stdio: "inherit" })
  if (aptInstall() !== 0) console.error("[setup] could not install chromium; the web-page test will fail until it is installed")
}

if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lockHash) {
  console.error("[setup] installing npm dependencies (npm ci)…")
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" })
  if (result.status !== 0) {
    console.error("[setup] npm ci failed; see the output above")
    process.exit(result.status ?? 1)
  }
  writeFileSync(stamp, lockHash)
}
ensureChromium()
