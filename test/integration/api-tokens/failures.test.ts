import { randomUUID } from "node:crypto"
import { ApiTokensDeps, createApiToken, reconcileApiTokens } from "@/app/api-tokens"
import { ApiTokenId, generateApiTokenClientId, generateApiTokenClientSecret } from "@/domain/api-tokens"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { mapError } from "@/graphql/error-map"
import { HydraAdmin } from "@/services/hydra"
import { ApiTokenClientModel, ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { freePort } from "../../../src/stack/wait"
import { hydraClient, newMerchant, setUp, tearDown, unwrap } from "./helpers"

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp()
})
afterAll(tearDown)

describe("when Hydra or Mongo fails", () => {
  it("Hydra down during create: a clear error, no record left (ACTIVE or otherwise), nothing orphaned after reconcile", async () => {
    const m = await newMerchant()
    const down = { ...deps, hydra: HydraAdmin({ adminUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 }) }
    const r = await createApiToken({ caller: m.caller, name: "while down", scopes: ["read"] }, down)
    expect(r).toBeInstanceOf(Error)
    expect((r as Error).name).toBe("OAuth2ServerUnavailableError")
    expect(mapError(r as Error)).toEqual({ code: "OAUTH2_SERVER_UNAVAILABLE", message: expect.stringMatching(/unavailable/) })
    expect(await ApiTokenModel.countDocuments({ accountId: m.account.id })).toBe(0)
    expect(await ApiTokenClientModel.countDocuments({ accountId: m.account.id })).toBe(0)

    unwrap(await reconcileApiTokens(deps))
    const ours = unwrap(await deps.hydra.listOurClients())
    expect(ours.filter((c) => c.owner === m.account.id)).toEqual([])
    // The slot was released: the account can create a token once Hydra is back.
    unwrap(await createApiToken({ caller: m.caller, name: "while down", scopes: ["read"] }, deps))
  })

  it("Mongo fails after the Hydra client was created: the client is deleted and no record stays", async () => {
    const m = await newMerchant()
    let createdClientId: string | undefined
    const flaky: ApiTokensDeps = {
      ...deps,
      hydra: {
        ...deps.hydra,
        createClient: async (spec) => {
          createdClientId = spec.clientId
          return deps.hydra.createClient(spec)
        },
      },
      repo: { ...deps.repo, markActive: async () => new UnknownRepositoryError("connection reset") },
    }
    const r = await createApiToken({ caller: m.caller, name: "flaky", scopes: ["read"] }, flaky)
    expect((r as Error).name).toBe("UnknownRepositoryError")
    expect(createdClientId).toBeDefined()
    expect((await hydraClient(createdClientId!)).status).toBe(404)
    expect(await ApiTokenModel.countDocuments({ accountId: m.account.id })).toBe(0)
  })

  it("reconcile removes a creation a crash left PENDING, with its Hydra client", async () => {
    const m = await newMerchant()
    const tokenId = randomUUID() as ApiTokenId
    const clientId = generateApiTokenClientId()
    const oneHourAgo = new Date(Date.now() - 3600_000)
    await ApiTokenModel.create({
      _id: tokenId,
      accountId: m.account.id,
      name: "crashed",
      activeNameKey: `${m.account.id}:crashed`,
      scopes: ["read"],
      storedStatus: "PENDING",
      authMethod: "client_secret_basic",
      createdAt: oneHourAgo,
    })
    await ApiTokenClientModel.create({ _id: clientId, tokenId, accountId: m.account.id, createdAt: oneHourAgo })
    unwrap(
      await deps.hydra.createClient({
        clientId,
        clientSecret: generateApiTokenClientSecret(),
        tokenId,
        accountId: m.account.id,
        name: "crashed",
        scopes: ["read"],
        authMethod: "client_secret_basic",
        accessTokenLifespanSeconds: 120,
      }),
    )

    const report = unwrap(await reconcileApiTokens(deps))
    expect(report.pendingRemoved).toBeGreaterThanOrEqual(1)
    expect((await hydraClient(clientId)).status).toBe(404)
    expect(await ApiTokenModel.countDocuments({ _id: tokenId })).toBe(0)
    expect(await ApiTokenClientModel.countDocuments({ _id: clientId })).toBe(0)
  })

  it("reconcile deletes a Hydra client of ours that no record explains", async () => {
    const m = await newMerchant()
    const clientId = generateApiTokenClientId()
    unwrap(
      await deps.hydra.createClient({
        clientId,
        clientSecret: generateApiTokenClientSecret(),
        tokenId: randomUUID() as ApiTokenId,
        accountId: m.account.id,
        name: "orphan",
        scopes: ["read"],
        authMethod: "client_secret_basic",
        accessTokenLifespanSeconds: 120,
      }),
    )
    const report = unwrap(await reconcileApiTokens(deps))
    expect(report.orphanClientsDeleted).toBeGreaterThanOrEqual(1)
    expect((await hydraClient(clientId)).status).toBe(404)
  })

  it("reconcile revokes an active record whose Hydra client vanished (its secret cannot be recreated)", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "lost client", scopes: ["read"] }, deps))
    unwrap(await deps.hydra.deleteClient(created.clientId))
    const report = unwrap(await reconcileApiTokens(deps))
    expect(report.recordsWithoutClientRevoked).toBeGreaterThanOrEqual(1)
    expect(unwrap(await deps.repo.findById(created.token.id)).storedStatus).toBe("REVOKED")
  })
})
