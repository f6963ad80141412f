// Where the launcher finds the repository, its Go modules and the binary cache.
import { join, resolve } from "node:path"

export const repoRoot = resolve(__dirname, "..", "..")
export const cacheDir = resolve(process.env.FLASH_CACHE_DIR ?? join(repoRoot, ".cache"))
export const binDir = join(cacheDir, "bin")
export const defaultDataDir = join(repoRoot, ".data")
