// Runs before `npm start` and `npm test`: installs the npm dependencies when
// node_modules is missing or was installed from another package-lock.json, so
// the README's two commands work on a fresh clone. (The Go-built Hydra and
// FerretDB binaries are built by the stack launcher itself, see src/stack.)
"use strict"
const { createHash } = require("node:crypto")
const { existsSync, readFileSync, writeFileSync } = require("node:fs")
const { join } = require("node:path")
const { spawnSync } = require("node:child_process")

const root = join(__dirname, "..")
const lockHash = createHash("sha256").update(readFileSync(join(root, "package-lock.json"))).digest("hex")
const stamp = join(root, "node_modules", ".flash-lock-sha256")

if (existsSync(stamp) && readFileSync(stamp, "utf8") === lockHash) process.exit(0)

console.error("[setup] installing npm dependencies (npm ci)…")
const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" })
if (result.status !== 0) {
  console.error("[setup] npm ci failed; see the output above")
  process.exit(result.status ?? 1)
}
writeFileSync(stamp, lockHash)
