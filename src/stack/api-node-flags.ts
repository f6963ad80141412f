// Node flags of every API process the launcher starts (and of the Docker image,
// through NODE_OPTIONS; see Dockerfile and `npm run api`).
//
// V8 sizes the heap for the machine: with 24 GiB of RAM the old-space limit is
// about 4 GiB, and after each full collection V8 lets the old space grow to
// about four times what survived before it collects again. The API keeps about
// 50 MB alive, so under load it carried up to ~170 MB of garbage: RSS 258–307 MB
// after 30 s of `me` queries at 32 connections, measured. With a 512 MB cap V8
// grows the heap by about 1.5× instead: RSS 191 MB after the same load. The cap
// leaves ten times the live heap as headroom. A `--max-old-space-size` in
// NODE_OPTIONS wins (command-line flags would override it, so none is added).
export const API_MAX_OLD_SPACE_MB = 1024

export const apiNodeFlags = (env: NodeJS.ProcessEnv = process.env): string[] =>
  /--max-old-space-size/.test(env.NODE_OPTIONS ?? "") ? [] : [`--max-old-space-size=${API_MAX_OLD_SPACE_MB}`]
