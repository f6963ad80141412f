// `npm run build`: the API and the admin CLI as plain JavaScript that `node`
// runs (no tsx at start: about 25 MB less RSS and no compile on every start).
// esbuild bundles our code (resolving the `@/` paths from tsconfig.json) and
// leaves node_modules external, so the image installs production dependencies
// only (`npm ci --omit=dev`). The token page's assets are read at run time
// from next to the code, so they are copied beside the bundle. BUILD_WITH_BENCH=1
// (set by `npm run bench` only, never by the image) adds bench/bench-api.ts, so
// the bench's verifier API runs as compiled as the API it is compared with.
import { cpSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = process.env.BUILD_OUTDIR ?? join(root, "dist")

rmSync(outdir, { recursive: true, force: true })
const started = Date.now()
await build({
  absWorkingDir: root,
  entryPoints: {
    main: "src/servers/main.ts",
    "admin-cli": "src/servers/admin-cli.ts",
    ...(process.env.BUILD_WITH_BENCH === "1" ? { "bench-api": "bench/bench-api.ts" } : {}),
  },
  outdir,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  packages: "external",
  sourcemap: true,
  tsconfig: join(root, "tsconfig.json"),
  logLevel: "warning",
})
cpSync(join(root, "src", "servers", "web", "assets"), join(outdir, "assets"), { recursive: true })
console.log(`[build] ${outdir}: main.js, admin-cli.js and assets/ in ${Date.now() - started} ms`)
