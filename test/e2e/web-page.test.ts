// The merchant's token page in a real browser (Debian's chromium driven by
// playwright-core): dev login, create a token, copy its connection string, use
// it from a program (the reference client), revoke it in the page and see the
// program refused. Screenshots of each step go to test-artifacts/web/.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decodeJwt } from "jose"
import mongoose from "mongoose"
import { BrowserContext, chromium, Page } from "playwright-core"
import { FlashClient } from "@/client/flash-client"
import { budgetPeriodAt } from "@/domain/api-tokens"
import { parseApiTokenConnectionString } from "@/domain/api-tokens/connection-string"
import { API_TOKENS_PAGE_CSP } from "@/servers/web/api-tokens-page"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { testStack } from "../harness/stack-state"
import { gql } from "../support/api-tokens"
import { devSession, randomPhone } from "../support/tokens"

const CHROMIUM = "/usr/bin/chromium"
// Without these, Chromium keeps trying to reach Google services on this closed network.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
const ARTIFACTS = join(__dirname, "..", "..", "test-artifacts", "web")

const stack = testStack()
const pageUrl = `${stack.urls.api}/settings/api-tokens`

let profileDir: string
let context: BrowserContext
let page: Page
let step = 0
const consoleErrors: string[] = []

const shot = async (name: string) => {
  step += 1
  await page.screenshot({ path: join(ARTIFACTS, `${String(step).padStart(2, "0")}-${name}.png`), fullPage: true })
}

const ME = "query { me { defaultAccount { wallets { id walletCurrency } } } }"
type Me = { me: { defaultAccount: { wallets: Array<{ id: string; walletCurrency: string }> } } }

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  profileDir = mkdtempSync(join(tmpdir(), "flash-chromium-"))
  // A persistent context is how Playwright takes a fresh --user-data-dir of our own.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  })
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.urls.api })
  page = context.pages()[0] ?? (await context.newPage())
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text())
  })
  page.on("pageerror", (e) => consoleErrors.push(e.message))
}, 60_000)

afterAll(async () => {
  await context?.close()
  if (profileDir) rmSync(profileDir, { recursive: true, force: true })
})

describe("the API-token page (/settings/api-tokens)", () => {
  it("is served with a strict CSP, no-store, and the dev login in dev mode", async () => {
    const res = await fetch(pageUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-security-policy")).toBe(API_TOKENS_PAGE_CSP)
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'")
    expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline")
    expect(res.headers.get("cache-control")).toBe("no-store")
    const html = await res.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // no inline script
    expect(html).toContain('id="dev-login"')
    const js = await fetch(`${stack.urls.api}/settings/api-tokens/assets/api-tokens.js`)
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/)
    expect(js.headers.get("cache-control")).toBe("no-store")
  })

  it("logs in, creates a token, copies the connection string, uses it, revokes it, and the next call is refused", async () => {
    // 1. The page, signed out.
    await page.goto(pageUrl)
    await expect(page.getByRole("heading", { name: "API tokens", level: 1 }).isVisible()).resolves.toBe(true)
    await shot("signed-out")

    // 2. Dev login with a phone number.
    const phone = randomPhone()
    await page.getByLabel("Phone number").fill(phone)
    await page.getByRole("button", { name: "Dev login" }).click()
    await page.getByText(`Signed in as ${phone}.`, { exact: true }).first().waitFor()
    await page.getByRole("heading", { name: "Create a token" }).waitFor()
    await shot("signed-in")

    // 3. Create a read-only token for the BTC wallet only, expiring in 30 days.
    await page.getByLabel("Name").fill("BTCPay web test")
    await page.getByLabel("30 days").check()
    await page.getByRole("checkbox", { name: /Read/ }).check()
    const btcWallet = page.getByRole("checkbox", { name: "BTC wallet" })
    await expect(page.getByRole("checkbox", { name: "USD wallet" }).isVisible()).resolves.toBe(true)
    await btcWallet.check()
    const btcWalletId = await btcWallet.getAttribute("value")
    await page.getByRole("button", { name: "Create token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    await expect(page.getByText("you will not see the secret again").isVisible()).resolves.toBe(true)
    await shot("created")

    // 4. Copy the connection string with its button; read it back from the clipboard.
    const shown = (await page.locator("#cred-connection-string").textContent()) ?? ""
    await page.getByRole("button", { name: "Copy connection string" }).click()
    await page.getByText("Copied the connection string.").waitFor()
    const copied = (await page.evaluate("navigator.clipboard.readText()")) as string
    expect(copied).toBe(shown)
    const conn = parseApiTokenConnectionString(copied)
    expect(conn).toMatchObject({ type: "flash", server: stack.urls.graphql, "token-url": stack.urls.tokenEndpoint })
    expect(conn["client-secret"]).toMatch(/^flash_/)
    await shot("copied")

    // 5. A program uses the connection string: token endpoint, then the API.
    const program = new FlashClient({
      apiUrl: conn.server!,
      tokenUrl: conn["token-url"]!,
      clientId: conn["client-id"]!,
      clientSecret: conn["client-secret"]!,
    })
    const claims = decodeJwt(await program.accessToken())
    expect(claims.client_id).toBe(conn["client-id"])
    expect(claims.scp).toEqual(["read"])
    const ok = await program.query<Me>(ME)
    expect(ok.errors).toBeUndefined()
    // The token sees only the wallet chosen in the page.
    expect(ok.data?.me.defaultAccount.wallets).toEqual([{ id: btcWalletId, walletCurrency: "BTC" }])

    // 6. Hide the secret; the list shows the token as active.
    await page.getByRole("button", { name: /I have stored them/ }).click()
    await expect(page.locator("#credentials").isHidden()).resolves.toBe(true)
    const card = page.locator("li.token", { has: page.getByRole("heading", { name: "BTCPay web test" }) })
    await expect(card.locator('[data-role="status"]').textContent()).resolves.toBe("Active")
    await expect(card.getByText("Read", { exact: true }).isVisible()).resolves.toBe(true)
    await expect(card.getByText("BTC wallet", { exact: true }).isVisible()).resolves.toBe(true)
    // The "30 days" preset reached the API.
    const expires = Date.parse((await card.locator("dd time").nth(1).getAttribute("datetime")) ?? "")
    expect(Math.abs(expires - (Date.now() + 30 * 24 * 3600 * 1000))).toBeLessThan(5 * 60 * 1000)
    await shot("listed")

    // 7. Phone width.
    await page.setViewportSize({ width: 390, height: 844 })
    const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number
    expect(overflow).toBeLessThanOrEqual(0)
    await shot("phone-width")
    await page.setViewportSize({ width: 1100, height: 900 })

    // 8. Revoke in the page: a confirmation dialog first. Escape (keyboard) cancels it.
    const revokeButton = card.getByRole("button", { name: "Revoke BTCPay web test" })
    await revokeButton.click()
    const dialog = page.getByRole("dialog", { name: /Revoke/ })
    await dialog.waitFor()
    await page.keyboard.press("Escape")
    await page.getByText("Nothing revoked.").waitFor()
    await expect(card.locator('[data-role="status"]').textContent()).resolves.toBe("Active")
    await revokeButton.focus()
    await page.keyboard.press("Enter")
    await dialog.waitFor()
    await shot("revoke-confirm")
    await dialog.getByRole("button", { name: "Revoke token" }).click()
    await page.getByText("Revoked “BTCPay web test”.", { exact: false }).waitFor()
    await expect(card.locator('[data-role="status"]').textContent()).resolves.toBe("Revoked")
    await expect(card.getByRole("button", { name: /Revoke/ }).count()).resolves.toBe(0)
    // Focus stays on the token the user acted on.
    await expect(page.evaluate("document.activeElement?.textContent")).resolves.toBe("BTCPay web test")
    await shot("revoked")

    // 9. The program's next call is refused: its cached JWT by the API, and a
    //    new one by the token endpoint.
    await expect(program.query(ME)).rejects.toThrow(/refused/)
    const fresh = await fetch(conn["token-url"]!, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${conn["client-id"]}:${conn["client-secret"]}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials",
    })
    expect(fresh.status).not.toBe(200)
    await program.close()

    expect(consoleErrors).toEqual([])
  })

  it("creates a static-key token behind a plain warning and shows its string for the BTCPay Flash plugin 1.5.x, which works as the Bearer", async () => {
    await page.getByLabel("Name").fill("BTCPay 1.5 static")
    await page.getByRole("checkbox", { name: /Receive/ }).check()
    const option = page.getByRole("checkbox", { name: /Static key/ })
    await expect(page.locator("#static-key-warning").textContent()).resolves.toMatch(/travels on every\s+request.*Prefer OAuth2/s)
    expect(await option.getAttribute("aria-describedby")).toBe("static-key-warning")
    await option.check()
    await shot("static-key-option")
    await page.getByRole("button", { name: "Create token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    const row = page.locator("#cred-plugin-row")
    await expect(row.isVisible()).resolves.toBe(true)
    await expect(row.locator("dt").textContent()).resolves.toContain("for the BTCPay Flash plugin 1.5.x")
    await page.getByRole("button", { name: "Copy plugin connection string (BTCPay Flash plugin 1.5.x)" }).click()
    const copied = (await page.evaluate("navigator.clipboard.readText()")) as string
    const secret = (await page.locator("#cred-client-secret").textContent()) ?? ""
    expect(copied).toBe(`type=flash;server=${stack.urls.graphql};token=${secret}`)
    await expect(page.locator("#cred-usage").textContent()).resolves.toMatch(/static key/i)
    await shot("static-key-created")

    // The released plugin's way: the token= value as the Bearer.
    const res = await fetch(stack.urls.graphql, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${parseApiTokenConnectionString(copied).token}` },
      body: JSON.stringify({ query: ME }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: Me }).data.me.defaultAccount.wallets.length).toBe(2)

    // Hidden again, and the list says how the token signs in.
    await page.getByRole("button", { name: /I have stored them/ }).click()
    await expect(row.isVisible()).resolves.toBe(false)
    await expect(page.locator("#cred-plugin-connection-string").textContent()).resolves.toBe("")
    const card = page.locator("li.token", { has: page.getByRole("heading", { name: "BTCPay 1.5 static" }) })
    await expect(card.getByText("Static key (the secret as bearer)").isVisible()).resolves.toBe(true)
    expect(consoleErrors).toEqual([])
  })

  it("rotates a token in the page and shows the new credentials once", async () => {
    await page.getByLabel("Name").fill("Rotate me")
    await page.getByRole("checkbox", { name: /Receive/ }).check()
    await page.getByRole("button", { name: "Create token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    const oldSecret = await page.locator("#cred-client-secret").textContent()
    await page.getByRole("button", { name: /I have stored them/ }).click()

    const card = page.locator("li.token", { has: page.getByRole("heading", { name: "Rotate me" }) })
    await card.getByRole("button", { name: "Rotate Rotate me" }).click()
    const dialog = page.getByRole("dialog", { name: /Rotate/ })
    await dialog.getByLabel("Old credentials keep working for").selectOption("0")
    await shot("rotate-confirm")
    await dialog.getByRole("button", { name: "Rotate token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    const conn = parseApiTokenConnectionString((await page.locator("#cred-connection-string").textContent()) ?? "")
    expect(conn["client-secret"]).not.toBe(oldSecret)
    await shot("rotated")

    const program = new FlashClient({
      apiUrl: conn.server!,
      tokenUrl: conn["token-url"]!,
      clientId: conn["client-id"]!,
      clientSecret: conn["client-secret"]!,
    })
    expect((await program.query(ME)).errors).toBeUndefined()
    await program.close()

    // The API records the use in batches (every 10 s); after a reload the list shows it.
    const lastUsed = card.locator("div", { has: page.getByText("Last used", { exact: true }) }).locator("dd")
    const deadline = Date.now() + 25_000
    while ((await lastUsed.textContent()) === "Never" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000))
      await page.reload()
      await card.waitFor()
    }
    const usedAt = Date.parse((await lastUsed.locator("time").getAttribute("datetime")) ?? "")
    expect(Math.abs(Date.now() - usedAt)).toBeLessThan(60_000)
    // ... and the 7-day usage chart counts the requests the program made
    const chart = card.locator("figure[data-role=usage]")
    const chartDeadline = Date.now() + 25_000
    while (Number((await chart.getAttribute("data-total").catch(() => "0")) ?? "0") === 0 && Date.now() < chartDeadline) {
      await new Promise((r) => setTimeout(r, 2000))
      await page.reload()
      await card.waitFor()
      await chart.waitFor({ timeout: 5000 }).catch(() => undefined)
    }
    expect(Number(await chart.getAttribute("data-total"))).toBeGreaterThanOrEqual(1)
    expect(await chart.locator(".usage-bar").count()).toBe(7)
    expect(await chart.locator("[role=img]").getAttribute("aria-label")).toMatch(/: [1-9]/)
    await shot("last-used")
    expect(consoleErrors).toEqual([])
  })

  it("flags a token whose secret reached the rotation age with a dated badge and a hint, says so in its activity, and a rotation clears it", async () => {
    await page.getByLabel("Name").fill("Old secret")
    await page.getByRole("button", { name: "Create token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    await page.getByRole("button", { name: /I have stored them/ }).click()
    const card = page.locator("li.token", { has: page.getByRole("heading", { name: "Old secret" }) })
    await card.waitFor()
    await card.locator("[data-role=activity] li").first().waitFor()
    await expect(card.locator("[data-role=rotation-due]").count()).resolves.toBe(0)
    const tokenId = (await card.getAttribute("data-token-id"))!

    // 91 days pass for the secret (the stack's API keeps the default age, 90 days).
    const issuedAt = Math.floor((Date.now() - 91 * 24 * 3600 * 1000) / 1000) * 1000
    await mongoose.connect(stack.urls.mongodb)
    try {
      await ApiTokenModel.updateOne({ _id: tokenId }, { $set: { secretCreatedAt: new Date(issuedAt) } })
    } finally {
      await mongoose.disconnect()
    }
    await page.reload()
    const badge = card.locator("[data-role=rotation-due]")
    await badge.waitFor()
    const dueDay = new Date(issuedAt + 90 * 24 * 3600 * 1000).toISOString().slice(0, 10)
    await expect(badge.textContent()).resolves.toBe(`⚠ Rotation due since ${dueDay}`)
    await expect(badge.isVisible()).resolves.toBe(true)
    const hint = card.locator("[data-role=rotation-hint]")
    await expect(hint.textContent()).resolves.toMatch(/issued on \d{4}-\d{2}-\d{2} and is due for rotation\. Rotate the token/)
    // The audit view says it in words, once, however often the list is read.
    const dueEntry = card.locator('[data-role=activity] li[data-event-type="API_TOKEN_ROTATION_DUE"]')
    await dueEntry.waitFor()
    await expect(dueEntry.textContent()).resolves.toMatch(/Rotation due: the secret reached the rotation age\. Rotate the token\./)
    await page.reload()
    await card.locator("[data-role=activity] li").first().waitFor()
    await expect(dueEntry.count()).resolves.toBe(1)
    await shot("rotation-due")

    // Rotating clears the flag: the new secret is young.
    await card.getByRole("button", { name: "Rotate Old secret" }).click()
    const dialog = page.getByRole("dialog", { name: /Rotate/ })
    await dialog.getByLabel("Old credentials keep working for").selectOption("0")
    await dialog.getByRole("button", { name: "Rotate token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    await page.getByRole("button", { name: /I have stored them/ }).click()
    await card.locator('[data-role=activity] li[data-event-type="API_TOKEN_ROTATED"]').waitFor()
    await expect(badge.count()).resolves.toBe(0)
    await expect(hint.count()).resolves.toBe(0)
    await shot("rotation-done")
    expect(consoleErrors).toEqual([])
  })

  it("sets a send token's budget at creation, and shows what a payment used, what is left and when the budget renews", async () => {
    await page.getByLabel("Name").fill("Budget shop")
    await page.getByRole("checkbox", { name: /Send/ }).check()
    await page.getByLabel("Budget amount").fill("1000")
    await page.getByLabel("Budget unit").selectOption("SATS")
    await page.getByLabel("Budget renews").selectOption("WEEKLY")
    await page.getByLabel("Maximum per payment").fill("400")
    await shot("budget-form")
    await page.getByRole("button", { name: "Create token" }).click()
    await page.getByRole("heading", { name: "Your new credentials" }).waitFor()
    const conn = parseApiTokenConnectionString((await page.locator("#cred-connection-string").textContent()) ?? "")
    await page.getByRole("button", { name: /I have stored them/ }).click()

    // The machine funds its BTC wallet through the sandbox payer, then pays another account.
    const program = new FlashClient({ apiUrl: conn.server!, tokenUrl: conn["token-url"]!, clientId: conn["client-id"]!, clientSecret: conn["client-secret"]! })
    const wallets = (await program.query<Me>(ME)).data!.me.defaultAccount.wallets
    const btc = wallets.find((w) => w.walletCurrency === "BTC")!.id
    const invoice = await program.query<{ lnInvoiceCreate: { invoice: { paymentRequest: string } } }>(
      "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }",
      { input: { walletId: btc, amount: 5000 } },
    )
    const funded = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest: invoice.data!.lnInvoiceCreate.invoice.paymentRequest }),
    })
    expect(funded.status).toBe(200)
    const payee = await devSession()
    const payeeWallets = (await gql(payee.token, ME)).body.data as Me
    const payeeBtc = payeeWallets.me.defaultAccount.wallets.find((w) => w.walletCurrency === "BTC")!.id
    const SEND = "mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code } } }"
    type Sent = { intraLedgerPaymentSend: { status: string; errors: Array<{ code: string }> } }
    const sent = await program.query<Sent>(SEND, { input: { walletId: btc, recipientWalletId: payeeBtc, amount: 300 } })
    expect(sent.data!.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const overMax = await program.query<Sent>(SEND, { input: { walletId: btc, recipientWalletId: payeeBtc, amount: 401 } })
    expect(overMax.data!.intraLedgerPaymentSend).toEqual({ status: "FAILURE", errors: [{ code: "PAYMENT_OVER_MAX" }] })
    await program.close()

    await page.reload()
    const card = page.locator("li.token", { has: page.getByRole("heading", { name: "Budget shop" }) })
    await card.waitFor()
    await expect(card.getByText("1,000 sats per week, at most 400 a payment", { exact: true }).isVisible()).resolves.toBe(true)
    const usage = card.locator('[data-role="budget-usage"]')
    await expect(usage.textContent()).resolves.toMatch(/^300 used, 700 left · renews \d{4}-\d{2}-\d{2} 00:00 UTC$/)
    const renewsAt = await usage.locator("time").getAttribute("datetime")
    expect(renewsAt).toBe(budgetPeriodAt("WEEKLY", new Date()).renewsAt!.toISOString())
    await shot("budget-shown")
    expect(consoleErrors).toEqual([])
  })
})
