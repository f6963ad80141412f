/** @jest-config-loader esbuild-register */
// Three projects, one command: unit tests need no I/O; integration and e2e
// share one native stack (Hydra, FerretDB, the API) started by the global setup.
import type { Config } from "jest"

const transform: Config["transform"] = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
}
const moduleNameMapper = { "^@/(.*)$": "<rootDir>/src/$1" }

const config: Config = {
  // The global setup is compiled with the root transform (it imports src/stack).
  transform,
  globalSetup: "<rootDir>/test/harness/global-setup.ts",
  globalTeardown: "<rootDir>/test/harness/global-teardown.ts",
  // Two cores: the stack itself needs one of them.
  maxWorkers: 2,
  testTimeout: 60_000,
  projects: [
    { displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"], transform, moduleNameMapper },
    {
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      transform,
      moduleNameMapper,
    },
    { displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"], transform, moduleNameMapper },
  ],
}

export default config
