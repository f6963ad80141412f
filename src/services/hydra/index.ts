// Hydra admin adapter (@ory/hydra-client): one OAuth2 client per API token
// credential. Every Hydra failure becomes an error value; nothing here logs or
// returns a client secret.
import { Configuration, OAuth2Api, OAuth2Client } from "@ory/hydra-client"
import type { AccountId } from "@/domain/accounts"
import {
  API_TOKEN_CLIENT_ID_PREFIX,
  ApiTokenAuthMethod,
  ApiTokenClientId,
  ApiTokenId,
  ApiTokenScope,
  OAuth2ServerError,
  OAuth2ServerUnavailableError,
} from "@/domain/api-tokens"

/** Marks a Hydra client as ours, so reconciliation never touches anybody else's. */
export const FLASH_CLIENT_MARKER = "flash-api-tokens"

export type HydraClientSpec = {
  clientId: ApiTokenClientId
  clientSecret: string
  tokenId: ApiTokenId
  accountId: AccountId
  name: string
  scopes: ApiTokenScope[]
  authMethod: ApiTokenAuthMethod
  accessTokenLifespanSeconds: number
}

export type OurHydraClient = { clientId: string; tokenId: string | undefined; owner: string | undefined }

// The SDK throws axios errors; read their shape without depending on axios ourselves.
type HttpFailure = { isAxiosError: true; code?: string; message: string; response?: { status: number } }
const isAxiosError = (e: unknown): e is HttpFailure =>
  typeof e === "object" && e !== null && (e as { isAxiosError?: unknown }).isAxiosError === true

const asError = (e: unknown, what: string): OAuth2ServerUnavailableError | OAuth2ServerError => {
  if (isAxiosError(e)) {
    if (!e.response) return new OAuth2ServerUnavailableError(`OAuth2 server unreachable during ${what}: ${e.code ?? e.message}`)
    if (e.response.status >= 500) return new OAuth2ServerUnavailableError(`OAuth2 server answered ${e.response.status} during ${what}`)
    return new OAuth2ServerError(`OAuth2 server answered ${e.response.status} during ${what}`)
  }
  return new OAuth2ServerError(`${what}: ${e instanceof Error ? e.message : String(e)}`)
}

export const HydraAdmin = (o: {
  adminUrl: string
  timeoutMs?: number
  /** JWT_AUDIENCE: each client may request it (`audience=` at the token endpoint); the API then requires it. */
  audience?: string
}) => {
  const api = new OAuth2Api(new Configuration({ basePath: o.adminUrl, baseOptions: { timeout: o.timeoutMs ?? 5000 } }))

  const createClient = async (s: HydraClientSpec): Promise<true | OAuth2ServerUnavailableError | OAuth2ServerError> => {
    const body: OAuth2Client = {
      client_id: s.clientId,
      client_secret: s.clientSecret,
      client_name: s.name,
      grant_types: ["client_credentials"],
      response_types: [],
      scope: s.scopes.join(" "),
      token_endpoint_auth_method: s.authMethod,
      access_token_strategy: "jwt",
      client_credentials_grant_access_token_lifespan: `${s.accessTokenLifespanSeconds}s`,
      ...(o.audience ? { audience: [o.audience] } : {}),
      owner: s.accountId,
      metadata: { managed_by: FLASH_CLIENT_MARKER, token_id: s.tokenId },
    }
    try {
      await api.createOAuth2Client({ oAuth2Client: body })
      return true
    } catch (e) {
      return asError(e, "client creation")
    }
  }

  /** Deletes the client and every token Hydra issued to it; an absent client is fine (idempotent). */
  const deleteClient = async (clientId: string): Promise<true | OAuth2ServerUnavailableError | OAuth2ServerError> => {
    try {
      await api.deleteOAuth2Token({ clientId })
    } catch (e) {
      if (!(isAxiosError(e) && e.response?.status === 404)) return asError(e, "token deletion")
    }
    try {
      await api.deleteOAuth2Client({ id: clientId })
    } catch (e) {
      if (!(isAxiosError(e) && e.response?.status === 404)) return asError(e, "client deletion")
    }
    return true
  }

  /** The scopes Hydra may grant the client from now on (an edit of the token). */
  const setClientScopes = async (
    clientId: string,
    scopes: readonly ApiTokenScope[],
  ): Promise<true | OAuth2ServerUnavailableError | OAuth2ServerError> => {
    try {
      await api.patchOAuth2Client({ id: clientId, jsonPatch: [{ op: "replace", path: "/scope", value: scopes.join(" ") }] })
      return true
    } catch (e) {
      return asError(e, "client update")
    }
  }

  const clientExists = async (clientId: string): Promise<boolean | OAuth2ServerUnavailableError | OAuth2ServerError> => {
    try {
      await api.getOAuth2Client({ id: clientId })
      return true
    } catch (e) {
      if (isAxiosError(e) && (e.response?.status === 404 || e.response?.status === 401)) return false
      return asError(e, "client lookup")
    }
  }

  /** Every Hydra client that carries our marker and id prefix (all pages). */
  const listOurClients = async (): Promise<OurHydraClient[] | OAuth2ServerUnavailableError | OAuth2ServerError> => {
    const out: OurHydraClient[] = []
    let pageToken: string | undefined
    try {
      for (let page = 0; page < 10_000; page++) {
        const res = await api.listOAuth2Clients({ pageSize: 500, pageToken })
        for (const c of res.data) {
          const meta = (c.metadata ?? {}) as Record<string, unknown>
          if (!c.client_id?.startsWith(API_TOKEN_CLIENT_ID_PREFIX) || meta.managed_by !== FLASH_CLIENT_MARKER) continue
          out.push({ clientId: c.client_id, tokenId: typeof meta.token_id === "string" ? meta.token_id : undefined, owner: c.owner })
        }
        const link = String(res.headers?.link ?? "")
        const next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1]
        const token = next ? new URL(next, o.adminUrl).searchParams.get("page_token") : null
        if (!token || res.data.length === 0 || token === pageToken) break
        pageToken = token
      }
      return out
    } catch (e) {
      return asError(e, "client listing")
    }
  }

  return { createClient, deleteClient, setClientScopes, clientExists, listOurClients }
}

export type HydraAdminPort = ReturnType<typeof HydraAdmin>
