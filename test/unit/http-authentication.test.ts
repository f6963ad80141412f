// What /graphql answers for each refusal reason: 401 for credentials that do not
// authenticate, 503 with Retry-After for a failure of ours (the store or Hydra's
// keys), so that a client keeps its token and retries.
import type { NextFunction, Request, Response } from "express"
import type { PrincipalResolver } from "@/app/auth/resolve-principal"
import { AUTH_REJECTION_REASONS, AuthRejection, AuthRejectionReason } from "@/domain/auth"
import { createLogger } from "@/services/logger"
import { httpAuthentication, OUTAGE_RETRY_AFTER_SECONDS } from "@/servers/middlewares/authenticate"

type Answer = { status?: number; headers: Record<string, string>; body?: { errors: Array<{ extensions: { code: string } }> }; passed: boolean }

const answerFor = async (reason: AuthRejectionReason): Promise<Answer> => {
  const resolver = { resolve: async () => new AuthRejection(reason) } as unknown as PrincipalResolver
  const answer: Answer = { headers: {}, passed: false }
  const res = {
    locals: { clientIp: "203.0.113.7" },
    status(code: number) {
      answer.status = code
      return this
    },
    set(name: string, value: string) {
      answer.headers[name.toLowerCase()] = value
      return this
    },
    json(body: Answer["body"]) {
      answer.body = body
      return this
    },
  }
  const req = { headers: { authorization: "Bearer x.y.z" } }
  await httpAuthentication(resolver, createLogger("silent"))(req as unknown as Request, res as unknown as Response, (() => {
    answer.passed = true
  }) as NextFunction)
  return answer
}

describe("HTTP authentication's answer to a refused Authorization header", () => {
  it("answers 503 STORE_UNAVAILABLE with Retry-After and no WWW-Authenticate when the token store is down", async () => {
    const a = await answerFor("store_unavailable")
    expect(a).toEqual({
      status: 503,
      headers: { "retry-after": String(OUTAGE_RETRY_AFTER_SECONDS) },
      body: { errors: [{ message: expect.any(String), extensions: { code: "STORE_UNAVAILABLE", retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS } }] },
      passed: false,
    })
  })

  it("answers 503 OAUTH2_SERVER_UNAVAILABLE with Retry-After when Hydra's keys cannot be read", async () => {
    const a = await answerFor("jwks_unavailable")
    expect(a.status).toBe(503)
    expect(a.headers).toEqual({ "retry-after": String(OUTAGE_RETRY_AFTER_SECONDS) })
    expect(a.body?.errors[0]?.extensions.code).toBe("OAUTH2_SERVER_UNAVAILABLE")
  })

  it("answers 401 with WWW-Authenticate invalid_token for every reason that is about the credentials", async () => {
    const aboutCredentials = AUTH_REJECTION_REASONS.filter((r) => r !== "store_unavailable" && r !== "jwks_unavailable")
    expect(aboutCredentials.length).toBe(AUTH_REJECTION_REASONS.length - 2)
    for (const reason of aboutCredentials) {
      const a = await answerFor(reason)
      expect({ reason, status: a.status, wwwAuthenticate: a.headers["www-authenticate"], passed: a.passed }).toEqual({
        reason,
        status: 401,
        wwwAuthenticate: 'Bearer error="invalid_token"',
        passed: false,
      })
      expect(a.body?.errors[0]?.extensions.code).toBe(reason === "api_token_oauth2_only" ? "API_TOKEN_OAUTH2_ONLY" : "UNAUTHENTICATED")
    }
  })
})
