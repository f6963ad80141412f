// The page's HTML shell: what it offers in and outside dev mode, and that it
// stays CSP-clean (no inline script or style, nothing from elsewhere).
import { API_TOKENS_PAGE_CSP, renderApiTokensPage } from "@/servers/web/api-tokens-page"

describe("the API-token page shell", () => {
  it("offers the dev login only in dev mode", () => {
    const dev = renderApiTokensPage({ devMode: true })
    expect(dev).toContain('id="dev-login"')
    expect(dev).toContain('data-dev-mode="true"')
  })

  it("outside dev mode, hides the dev login and says the page relies on the gateway's session", () => {
    const prod = renderApiTokensPage({ devMode: false })
    expect(prod).not.toContain('id="dev-login"')
    expect(prod).not.toContain("/dev/session")
    expect(prod).toMatch(/uses your Flash session/)
    expect(prod).toContain('data-dev-mode="false"')
  })

  it("has no inline script, inline style or off-site resource, so the strict CSP holds", () => {
    const html = renderApiTokensPage({ devMode: true })
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(API_TOKENS_PAGE_CSP).toContain("default-src 'none'")
    expect(API_TOKENS_PAGE_CSP).toContain("script-src 'self'")
    expect(API_TOKENS_PAGE_CSP).not.toMatch(/unsafe-(inline|eval)/)
  })

  it("labels every input, select and textarea", () => {
    const html = renderApiTokensPage({ devMode: true })
    const ids = [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1])
    expect(ids.length).toBeGreaterThan(10)
    for (const id of ids) expect(html).toContain(`for="${id}"`)
  })
})
