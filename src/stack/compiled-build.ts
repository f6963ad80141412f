// The compiled build (scripts/build.mjs, what `npm run build` and the image
// run) into a directory of its own inside the repository's git-ignored dist/:
// node resolves the dependencies from the node_modules above it, as in the image.
// The tests that run the deployed build and the bench use it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { join } from "node:path"
import { runToCompletion } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"

export type CompiledBuild = {
  outdir: string
  main: string
  adminCli: string
  /** The bench's verifier API (bench/bench-api.ts), present only in a build made `withBench`. */
  benchApi: string
  remove: () => void
}

/** A new dist/.<prefix>-* directory, empty until `build` runs. */
export const compiledBuildDir = (prefix: string): CompiledBuild => {
  mkdirSync(join(repoRoot, "dist"), { recursive: true })
  const outdir = mkdtempSync(join(repoRoot, "dist", `.${prefix}-`))
  return {
    outdir,
    main: join(outdir, "main.js"),
    adminCli: join(outdir, "admin-cli.js"),
    benchApi: join(outdir, "bench-api.js"),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  }
}

/** Runs the build into `dir`; its exit code and output. `withBench` adds bench/bench-api.ts (never in the image). */
export const runBuild = (dir: CompiledBuild, o: { withBench?: boolean } = {}) =>
  runToCompletion(
    process.execPath,
    [join(repoRoot, "scripts", "build.mjs")],
    { ...process.env, BUILD_OUTDIR: dir.outdir, ...(o.withBench ? { BUILD_WITH_BENCH: "1" } : {}) },
    repoRoot,
  )

/** A build that must succeed (a test's or the bench's setup): throws with the build's output otherwise. */
export const buildCompiled = async (prefix: string, o: { withBench?: boolean } = {}): Promise<CompiledBuild> => {
  const dir = compiledBuildDir(prefix)
  const built = await runBuild(dir, o)
  if (built.code !== 0) {
    dir.remove()
    throw new Error(`npm run build failed: ${built.output}`)
  }
  return dir
}
