// Runs before `npm start` and `npm test`: installs the npm dependencies when
// node_modules is missing or was installed from another package-lock.json, and
// Debian's chromium (the browser the web-page test drives with playwright-core;
// `npx playwright install` cannot download here) and nginx (the production-profile
// suite's reverse proxy) when they are missing, so the
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

// Debian packages the tests need, each with the binary that shows it is installed.
// chromium: the browser the web-page test drives with playwright-core.
// nginx: the reverse proxy of the production-profile suite (test/production),
// which runs it as its own child process (`nginx -c <conf> -g "daemon off;"`),
// never as the system service.
const DEBIAN_PACKAGES = [
  { binary: "/usr/bin/chromium", pkg: "chromium", why: "the web-page test" },
  { binary: "/usr/sbin/nginx", pkg: "nginx", why: "the production-profile suite" },
]

const ensureDebianPackages = () => {
  const missing = DEBIAN_PACKAGES.filter((p) => !existsSync(p.binary))
  if (missing.length === 0) return
  const names = missing.map((p) => p.pkg)
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  if (!isRoot || !existsSync("/etc/debian_version")) {
    for (const p of missing) console.error(`[setup] ${p.binary} is missing; install Debian's ${p.pkg} package (apt-get install ${p.pkg}) to run ${p.why}`)
    return
  }
  const aptInstall = () => {
    console.error(`[setup] installing Debian's ${names.join(", ")} for ${missing.map((p) => p.why).join(" and ")}: apt-get install -y --no-install-recommends ${names.join(" ")}`)
    return spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...names], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status
  }
  if (aptInstall() === 0) return
  // Only refresh the package lists when the install failed without it.
  console.error("[setup] apt-get install failed; running apt-get update and trying again")
  spawnSync("apt-get", ["update"], { stdio: "inherit" })
  if (aptInstall() !== 0) console.error(`[setup] could not install ${names.join(", ")}; ${missing.map((p) => p.why).join(" and ")} will fail until installed`)
}

if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lockHash) {
  // A registry connection reset mid-download (ECONNRESET, seen on a clean-clone CI
  // run) fails npm ci as a whole; the same lock installs on the next try.
  const attempts = 3
  for (let attempt = 1; ; attempt++) {
    console.error(`[setup] installing npm dependencies (npm ci)…${attempt > 1 ? ` attempt ${attempt} of ${attempts}` : ""}`)
    const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" })
    if (result.status === 0) break
    if (attempt === attempts) {
      console.error(`[setup] npm ci failed ${attempts} times; see the output above`)
      process.exit(result.status ?? 1)
    }
    console.error("[setup] npm ci failed; trying again in 5 s")
    spawnSync("sleep", ["5"])
  }
  writeFileSync(stamp, lockHash)
}
ensureDebianPackages()
