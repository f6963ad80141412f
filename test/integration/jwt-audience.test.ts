// JWT_AUDIENCE, for deployments whose clients request an audience: unset (the
// default), a JWT that names no audience is accepted, which is what every
// client that never asks for one gets from Hydra. Set, each new Hydra client is
// allowed to request it, and the API requires it in `aud`.
import { decodeJwt } from "jose"
import { generateApiTokenClientId, generateApiTokenClientSecret } from "@/domain/api-tokens"
import type { AccountId } from "@/domain/accounts"
import type { ApiTokenId } from "@/domain/api-tokens"
import { HydraAdmin } from "@/services/hydra"
import { testStack } from "../harness/stack-state"
import { merchantWithToken } from "../support/api-tokens"
import { graphqlPost } from "../support/tokens"

const stack = testStack()

const hydraClientAudience = async (clientId: string) => {
  const res = await fetch(`${stack.urls.hydraAdmin}/admin/clients/${encodeURIComponent(clientId)}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { audience?: string[] }).audience ?? []
}

const spec = () => ({
  clientId: generateApiTokenClientId(),
  clientSecret: generateApiTokenClientSecret(),
  tokenId: `aud-test-${Date.now()}` as ApiTokenId,
  accountId: "aud-test-account" as AccountId,
  name: "audience test",
  scopes: ["read" as const],
  authMethod: "client_secret_basic" as const,
  accessTokenLifespanSeconds: 60,
})

describe("JWT_AUDIENCE", () => {
  const created: string[] = []
  afterAll(async () => {
    for (const id of created) await HydraAdmin({ adminUrl: stack.urls.hydraAdmin }).deleteClient(id)
  })

  it("unset: a client that requests no audience gets a JWT with none, and the API accepts it", async () => {
    const { jwt } = await merchantWithToken(["read"])
    const aud = decodeJwt(jwt).aud
    expect(aud === undefined || (Array.isArray(aud) && aud.length === 0)).toBe(true)
    const res = await graphqlPost({ query: "{ me { defaultAccount { id } } }" }, { authorization: `Bearer ${jwt}` })
    expect(res.status).toBe(200)
  })

  it("set: each new Hydra client is allowed to request that audience; unset: no audience is added", async () => {
    const withAudience = spec()
    expect(await HydraAdmin({ adminUrl: stack.urls.hydraAdmin, audience: "https://api.flash.example" }).createClient(withAudience)).toBe(true)
    created.push(withAudience.clientId)
    expect(await hydraClientAudience(withAudience.clientId)).toEqual(["https://api.flash.example"])

    const without = spec()
    expect(await HydraAdmin({ adminUrl: stack.urls.hydraAdmin }).createClient(without)).toBe(true)
    created.push(without.clientId)
    expect(await hydraClientAudience(without.clientId)).toEqual([])
  })
})
