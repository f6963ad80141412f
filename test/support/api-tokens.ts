// API tokens as a merchant and a machine get them: created through /graphql
// with a user session, exchanged at Hydra's token endpoint.
import { testStack } from "../harness/stack-state"
import { devSession } from "./tokens"

export type CreatedApiToken = {
  id: string
  clientId: string
  clientSecret: string
  tokenEndpoint: string
  connectionString: string
  scopes: string[]
  /** The secret again (= clientSecret). */
  token: string
  /** `type=flash;server=…;token=…`, static-key tokens only. */
  pluginConnectionString: string | null
  warning: string
}

export const gql = async (bearer: string | undefined, query: string, variables?: Record<string, unknown>) => {
  const res = await fetch(testStack().urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } }
}

export const createApiToken = async (
  sessionToken: string,
  input: { scopes: string[]; name?: string } & Record<string, unknown>,
): Promise<CreatedApiToken> => {
  const { body } = await gql(
    sessionToken,
    `mutation Create($input: ApiTokenCreateInput!) {
      apiTokenCreate(input: $input) {
        errors { code message }
        apiToken { id clientId clientSecret tokenEndpoint connectionString scopes token pluginConnectionString warning }
      }
    }`,
    { input: { name: `test-${Math.random().toString(36).slice(2, 10)}`, ...input } },
  )
  const payload = body.data?.apiTokenCreate
  if (!payload?.apiToken) throw new Error(`apiTokenCreate failed: ${JSON.stringify(body)}`)
  return payload.apiToken as CreatedApiToken
}

export const revokeApiToken = async (sessionToken: string, id: string) => {
  const { body } = await gql(
    sessionToken,
    `mutation Revoke($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code message } apiToken { id status } } }`,
    { input: { id } },
  )
  return body.data?.apiTokenRevoke as { errors: Array<{ code: string }>; apiToken: { status: string } | null }
}

/** client_credentials at Hydra with HTTP Basic; returns the raw response. */
export const requestAccessToken = async (t: Pick<CreatedApiToken, "clientId" | "clientSecret">, scope?: string) => {
  const body = new URLSearchParams({ grant_type: "client_credentials", ...(scope ? { scope } : {}) })
  const res = await fetch(testStack().urls.tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64")}`,
    },
    body,
  })
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string; expires_in?: number } }
}

export const accessTokenFor = async (t: Pick<CreatedApiToken, "clientId" | "clientSecret">, scope?: string) => {
  const r = await requestAccessToken(t, scope)
  if (!r.body.access_token) throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.access_token
}

/** A merchant with a session and an API token with these scopes, exchanged for a JWT. */
export const merchantWithToken = async (scopes: string[], extra: Record<string, unknown> = {}) => {
  const session = await devSession()
  const token = await createApiToken(session.token, { scopes, ...extra })
  const jwt = await accessTokenFor(token)
  return { session, token, jwt }
}
