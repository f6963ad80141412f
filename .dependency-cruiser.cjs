/* global module */
// The layers' import directions, checked by `npm run lint:layers` (part of `npm run lint`).
//   domain    pure types and rules: imports only domain (and no node I/O module)
//   app       use cases: domain, services, config; never delivery (graphql, servers) or the dev launcher
//   services  adapters: domain, config; never app or delivery
//   graphql, servers  delivery; config; stack (dev launcher); client (reference client)
// Nothing in src imports test/ or bench/, and src has no import cycles.
// An exception is named, commented, and as narrow as one file.

/** Node modules that do I/O; the domain may use pure ones (node:crypto hashing). */
const NODE_IO = "^(node:)?(fs|fs/promises|net|http|https|http2|dgram|dns|tls|child_process|cluster|worker_threads|readline|process)$"

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle in src: the modules cannot be read (or loaded) one after the other.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "domain-imports-only-domain",
      severity: "error",
      comment: "src/domain is pure: it imports other domain modules and nothing else of src.",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" },
    },
    {
      name: "domain-no-node-io",
      severity: "error",
      comment: "src/domain does no I/O: no file, network or process modules.",
      from: {
        path: "^src/domain/",
        // Exception: validation.ts uses only `isIP` from node:net, a pure string check (no socket).
        pathNot: "^src/domain/api-tokens/validation[.]ts$",
      },
      to: { dependencyTypes: ["core"], path: NODE_IO },
    },
    {
      name: "domain-no-node-io-but-isIP",
      severity: "error",
      comment: "The one exception above covers node:net only; any other I/O module in validation.ts is refused.",
      from: { path: "^src/domain/api-tokens/validation[.]ts$" },
      to: { dependencyTypes: ["core"], path: NODE_IO, pathNot: "^(node:)?net$" },
    },
    {
      name: "app-not-delivery",
      severity: "error",
      comment: "Use cases (src/app) do not know how they are delivered (graphql, servers) or launched (stack).",
      from: { path: "^src/app/" },
      to: { path: "^src/(graphql|servers|stack)/" },
    },
    {
      name: "services-not-app-or-delivery",
      severity: "error",
      comment: "Adapters (src/services) serve the use cases; they do not call them or the delivery layer.",
      from: { path: "^src/services/" },
      to: { path: "^src/(app|graphql|servers)/" },
    },
    {
      name: "src-not-tests-or-bench",
      severity: "error",
      comment: "Production code never imports test or bench code.",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: they are still a direction between layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    skipAnalysisNotInRules: true,
  },
}
