// Node flags of every API process the launcher starts (and of the Docker image,
// through NODE_OPTIONS; see Dockerfile and `npm run api`).
//
// V8 sizes the heap for the machine: with 24 GiB of RAM the old-space limit is
// about 4 GiB, and V8 then lets the old space grow to several times what
// survived the last full collection before it collects again. The API keeps
// about 50 MB alive, yet after 30 s of `me` queries at 32 connections V8 held
// 204 MB of heap, 171 MB of it old space, and the RSS was 249–326 MB (measured).
// With a 1024 MB cap the same load left 197 MB, for a few percent more CPU per
// request (512 MB: 194 MB, but about 15 % more CPU). The cap leaves twenty times
// the live heap as headroom. A `--max-old-space-size` in NODE_OPTIONS wins
// (command-line flags would override it, so none is added then).
export const API_MAX_OLD_SPACE_MB = 1024

export const apiNodeFlags = (env: NodeJS.ProcessEnv = process.env): string[] =>
  /--max-old-space-size/.test(env.NODE_OPTIONS ?? "") ? [] : [`--max-old-space-size=${API_MAX_OLD_SPACE_MB}`]

/**
 * How node runs an API entry: a .js file is the compiled build (npm run build),
 * run by plain node as the image runs it; a .ts file runs through tsx.
 */
export const apiEntryArgs = (entry: string): string[] => (entry.endsWith(".js") ? ["--enable-source-maps", entry] : ["--import", "tsx", entry])
