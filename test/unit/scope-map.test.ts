// Every root field of the public schema has exactly one entry in the scope map,
// and the map names no field that does not exist. Adding a field without
// deciding who may call it fails here.
import { buildPublicSchema } from "@/graphql/public/schema"
import { scopeMap } from "@/graphql/shield/scope-map"

const schema = buildPublicSchema()
const roots = {
  Query: schema.getQueryType(),
  Mutation: schema.getMutationType(),
  Subscription: schema.getSubscriptionType(),
}

describe("the scope map", () => {
  for (const [root, type] of Object.entries(roots) as Array<[keyof typeof scopeMap, (typeof roots)["Query"]]>) {
    const fields = Object.keys(type?.getFields() ?? {}).sort()
    const mapped = Object.keys(scopeMap[root]).sort()

    it(`names every ${root} field of the schema`, () => {
      expect(fields.filter((f) => !mapped.includes(f))).toEqual([])
    })

    it(`names no ${root} field the schema lacks`, () => {
      expect(mapped.filter((f) => !fields.includes(f))).toEqual([])
    })
  }

  it("keeps token management out of reach of API tokens", () => {
    const management = Object.entries({ ...scopeMap.Query, ...scopeMap.Mutation }).filter(([f]) => /^apiToken/.test(f))
    for (const [field, access] of management) expect([field, access]).toEqual([field, "session-only"])
  })
})
