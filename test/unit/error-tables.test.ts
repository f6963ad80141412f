// Every domain error has its own stable code and a row in its area's error table
// (src/graphql/errors/), and every row is the code of a domain error that can be
// thrown. The classes are gathered from the exports of the domain's error
// modules; a scan of src makes sure no DomainError subclass is declared where
// this list does not look. Adding an error class without a code or a row, or a
// row without a class, fails here.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as accounts from "@/domain/accounts"
import * as apiTokens from "@/domain/api-tokens"
import * as apiTokenErrors from "@/domain/api-tokens/errors"
import * as auth from "@/domain/auth"
import * as idempotency from "@/domain/payments/idempotency"
import * as sharedErrors from "@/domain/shared/errors"
import { DomainError } from "@/domain/shared/errors"
import * as wallets from "@/domain/wallets"
import { errorTables, mapError } from "@/graphql/error-map"

/**
 * Each module that exports domain errors, and the table (a key of errorTables)
 * its errors map through; null: they never reach the error map.
 */
const AREAS: Array<[module: object, table: string | null]> = [
  [sharedErrors, "shared"],
  [accounts, "shared"],
  [wallets, "wallets"],
  [idempotency, "wallets"],
  [apiTokenErrors, "apiTokens"],
  [apiTokens, "apiTokens"],
  // AuthRejection: the auth middleware answers it (HTTP 401 UNAUTHENTICATED, a
  // WebSocket close code) before any resolver runs, so it has no row.
  [auth, null],
]

type ErrorClass = (abstract new (message?: string) => DomainError) & { readonly code?: string }
type Found = { cls: ErrorClass; table: string | null }

const exported = new Map<string, Found>()
for (const [module, table] of AREAS) {
  for (const [name, v] of Object.entries(module)) {
    if (typeof v !== "function" || !(v.prototype instanceof DomainError)) continue
    const seen = exported.get(name)
    if (seen && (seen.cls !== v || seen.table !== table)) throw new Error(`${name} is exported by two areas`)
    exported.set(name, { cls: v as ErrorClass, table })
  }
}

// Every `class X extends Y` in src (a name may be declared more than once).
const SRC = join(__dirname, "../../src")
const declarations = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".ts"))
  .flatMap((f) =>
    [...readFileSync(join(SRC, f), "utf8").matchAll(/\b(abstract\s+)?class\s+(\w+)\s+extends\s+(\w+)/g)].map((m) => ({
      abstract: Boolean(m[1]),
      name: m[2]!,
      base: m[3]!,
    })),
  )
const declaredErrors = new Set<string>()
for (let grew = true; grew; ) {
  grew = false
  for (const d of declarations) {
    if (!declaredErrors.has(d.name) && (d.base === "DomainError" || declaredErrors.has(d.base))) {
      declaredErrors.add(d.name)
      grew = true
    }
  }
}
const isAbstract = (name: string) => declarations.some((d) => d.name === name && d.abstract && declaredErrors.has(d.name))

const all = [...exported].map(([name, f]) => ({ name, ...f, abstract: isAbstract(name) }))
const concrete = all.filter((c) => !c.abstract)
const construct = (cls: ErrorClass) => new (cls as unknown as new (message: string) => DomainError)("x")

describe("the domain errors", () => {
  it("are all exported by a module listed here (a scan of src finds no other DomainError subclass)", () => {
    expect([...declaredErrors].sort()).toEqual([...exported.keys()].sort())
  })

  it.each(all)("$name has its own code exactly when it is not abstract", ({ cls, abstract }) => {
    expect(Object.hasOwn(cls, "code")).toBe(!abstract)
  })

  it.each(concrete)("$name: its code is a literal on the class and on every instance, and is its name", ({ cls }) => {
    expect(typeof cls.code).toBe("string")
    expect(cls.code).toMatch(/^[A-Za-z0-9]+$/)
    const e = construct(cls)
    expect(e.code).toBe(cls.code)
    expect(e.name).toBe(cls.code)
  })

  it("have distinct codes", () => {
    const codes = concrete.map((c) => c.cls.code)
    expect(new Set(codes).size).toBe(codes.length)
  })

  it("abstract ones are bases of a concrete one (a base nothing extends is dead)", () => {
    for (const a of all.filter((c) => c.abstract)) {
      expect(concrete.some((c) => c.cls.prototype instanceof a.cls)).toBe(true)
    }
  })
})

describe("the error tables", () => {
  it("are each checked here: errorTables holds exactly the tables the areas name", () => {
    const named = new Set(AREAS.flatMap(([, t]) => (t ? [t] : [])))
    expect(Object.keys(errorTables).sort()).toEqual([...named].sort())
  })

  it.each(concrete.filter((c) => c.table !== null))("$name has a row in the $table table and maps to a client code", ({ cls, table }) => {
    expect(Object.keys(errorTables[table!]!)).toContain(cls.code)
    for (const [other, rows] of Object.entries(errorTables)) if (other !== table) expect(Object.keys(rows)).not.toContain(cls.code)
    expect(mapError(construct(cls)).code).not.toBe("INTERNAL_ERROR")
  })

  it.each(Object.keys(errorTables))("every row of the %s table is the code of a concrete error of its area", (table) => {
    const codes = concrete.filter((c) => c.table === table).map((c) => c.cls.code)
    for (const key of Object.keys(errorTables[table]!)) expect(codes).toContain(key)
  })

  it.each(concrete.filter((c) => c.table === null))("$name never reaches the error map and has no row", ({ cls }) => {
    for (const rows of Object.values(errorTables)) expect(Object.keys(rows)).not.toContain(cls.code)
  })

  it("look up only a domain error's code, never a foreign error's name", () => {
    const foreign = Object.assign(new Error("secret detail"), { name: "ValidationError", code: "ValidationError" })
    expect(mapError(foreign)).toEqual({ code: "INTERNAL_ERROR", message: "Internal error, please try again" })
  })
})
