// The merchant's API-token page at /settings/api-tokens: a server-rendered
// shell plus one small browser script and one stylesheet (./assets). The page
// holds no data of its own: the script talks only to the public GraphQL API
// (/graphql) with the user's session, like any other client.
//
// Every response of the page is `Cache-Control: no-store` (it shows secrets
// once) and carries a strict Content-Security-Policy: scripts, styles and
// requests only from this origin, no inline script, no framing.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Router, Response } from "express"

export const API_TOKENS_PAGE_PATH = "/settings/api-tokens"
const ASSETS_PATH = `${API_TOKENS_PAGE_PATH}/assets`

export const API_TOKENS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ")

const securityHeaders = (res: Response) =>
  res.set({
    "Content-Security-Policy": API_TOKENS_PAGE_CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
  })

/** The HTML shell. `devMode` decides between the dev login and the gateway-session note. */
export const renderApiTokensPage = (opts: { devMode: boolean }): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API tokens · Flash</title>
<link rel="icon" href="${ASSETS_PATH}/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS_PATH}/api-tokens.css">
<script type="module" src="${ASSETS_PATH}/api-tokens.js"></script>
</head>
<body data-dev-mode="${opts.devMode ? "true" : "false"}">
<a class="skip" href="#main">Skip to content</a>
<header class="page-header">
  <h1>API tokens</h1>
  <p>API tokens let a machine — your BTCPay Server, a script, Postman — use your Flash account
  without your password. Give each machine its own token with only the permissions it needs, and
  revoke it the moment you stop trusting it.</p>
</header>
<main id="main">
<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="alert" class="alert" role="alert" aria-live="assertive"></div>
<section id="session" aria-labelledby="session-heading">
  <h2 id="session-heading">Session</h2>
  ${
    opts.devMode
      ? `<p class="note">Dev mode: sign in with any phone number. This login does not exist outside dev mode.</p>
  <form id="dev-login" class="inline-form">
    <label for="dev-phone">Phone number</label>
    <input id="dev-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" required
      placeholder="+15550001111" pattern="\\+[0-9]{8,15}" aria-describedby="dev-phone-hint">
    <span id="dev-phone-hint" class="hint">International format, for example +15550001111</span>
    <button type="submit">Dev login</button>
  </form>`
      : `<p class="note">This page uses your Flash session: open it from the Flash app or website while
  signed in. Requests go through Flash's gateway, which adds your session; there is no separate login here.</p>`
  }
  <p id="session-state" class="session-state" hidden>
    <span id="session-text"></span>
    <button type="button" id="sign-out" class="link-button">Sign out</button>
  </p>
</section>

<section id="credentials" class="credentials" aria-labelledby="credentials-heading" hidden tabindex="-1">
  <h2 id="credentials-heading">Your new credentials</h2>
  <p class="danger"><strong>Copy them now: you will not see the secret again.</strong>
  Flash does not keep it. If you lose it, rotate or revoke the token.</p>
  <dl class="secrets">
    <div><dt>Name</dt><dd><span id="cred-name"></span></dd></div>
    <div><dt>Client ID</dt><dd><code id="cred-client-id"></code>
      <button type="button" class="copy" data-copy="cred-client-id" aria-label="Copy client ID">Copy</button></dd></div>
    <div><dt>Client secret</dt><dd><code id="cred-client-secret"></code>
      <button type="button" class="copy" data-copy="cred-client-secret" aria-label="Copy client secret">Copy</button></dd></div>
    <div><dt>Token URL</dt><dd><code id="cred-token-url"></code>
      <button type="button" class="copy" data-copy="cred-token-url" aria-label="Copy token URL">Copy</button></dd></div>
    <div><dt>Connection string <span class="hint">(OAuth2: token URL, client ID and secret in one string, for clients that fetch their own access tokens; the BTCPay Flash plugin 1.5.x needs a static-key token)</span></dt>
      <dd><code id="cred-connection-string"></code>
      <button type="button" class="copy" data-copy="cred-connection-string" aria-label="Copy connection string">Copy</button></dd></div>
    <div id="cred-plugin-row" hidden><dt>Connection string <span class="hint">for the BTCPay Flash plugin 1.5.x</span></dt>
      <dd><code id="cred-plugin-connection-string"></code>
      <button type="button" class="copy" data-copy="cred-plugin-connection-string" aria-label="Copy plugin connection string (BTCPay Flash plugin 1.5.x)">Copy</button></dd></div>
  </dl>
  <p id="cred-usage" class="hint"></p>
  <p id="cred-expiry" class="hint"></p>
  <button type="button" id="credentials-done">I have stored them — hide</button>
</section>

<section id="create" aria-labelledby="create-heading" hidden>
  <h2 id="create-heading">Create a token</h2>
  <form id="create-form" novalidate>
    <div class="field">
      <label for="token-name">Name</label>
      <input id="token-name" name="name" required maxlength="50" autocomplete="off"
        aria-describedby="token-name-hint" placeholder="My BTCPay store">
      <span id="token-name-hint" class="hint">So you recognise it later: where will it be used? 1–50 characters.</span>
    </div>
    <fieldset>
      <legend>What may this token do?</legend>
      <div class="choice"><input type="checkbox" id="scope-read" name="scope" value="read" checked>
        <label for="scope-read"><strong>Read</strong> balances and history
        <span class="hint">See your wallets, balances, transactions and invoice status.</span></label></div>
      <div class="choice"><input type="checkbox" id="scope-receive" name="scope" value="receive">
        <label for="scope-receive"><strong>Receive</strong>: create invoices
        <span class="hint">Ask for payments into your wallets. Cannot move money out.</span></label></div>
      <div class="choice"><input type="checkbox" id="scope-write" name="scope" value="write">
        <label for="scope-write"><strong>Send</strong> payments
        <span class="hint">Pay invoices from your wallets (includes creating invoices). Set a budget below.</span></label></div>
    </fieldset>
    <fieldset>
      <legend>Expires after</legend>
      <div class="choices-row">
        <span class="choice"><input type="radio" id="expiry-30" name="expiry" value="30"><label for="expiry-30">30 days</label></span>
        <span class="choice"><input type="radio" id="expiry-90" name="expiry" value="90" checked><label for="expiry-90">90 days</label></span>
        <span class="choice"><input type="radio" id="expiry-365" name="expiry" value="365"><label for="expiry-365">1 year</label></span>
        <span class="choice"><input type="radio" id="expiry-custom" name="expiry" value="custom"><label for="expiry-custom">Custom</label></span>
      </div>
      <div class="field" id="custom-expiry-field" hidden>
        <label for="custom-expiry-days">Days until it expires</label>
        <input id="custom-expiry-days" type="number" min="1" max="365" step="1" inputmode="numeric">
      </div>
    </fieldset>
    <fieldset>
      <legend>Limits <span class="hint">(optional)</span></legend>
      <div class="field" id="wallet-field">
        <span class="label" id="wallet-label">Wallets</span>
        <div id="wallet-choices" role="group" aria-labelledby="wallet-label" aria-describedby="wallet-hint"></div>
        <div id="wallet-text-field" hidden>
          <label for="wallet-ids">Wallet IDs</label>
          <input id="wallet-ids" autocomplete="off" aria-describedby="wallet-hint" placeholder="wallet id, another wallet id">
        </div>
        <span id="wallet-hint" class="hint">Limit the token to these wallets. None chosen: all your wallets.</span>
      </div>
      <div class="field">
        <label for="ip-allowlist">Allowed IP addresses</label>
        <textarea id="ip-allowlist" rows="2" autocomplete="off" aria-describedby="ip-hint"
          placeholder="203.0.113.7&#10;198.51.100.0/24"></textarea>
        <span id="ip-hint" class="hint">One address or CIDR range per line. Empty: any address.</span>
      </div>
      <div class="field" id="budget-field">
        <span class="label" id="budget-label">Spending budget</span>
        <div class="budget-inputs" role="group" aria-labelledby="budget-label" aria-describedby="budget-hint">
          <span class="budget-input"><label for="budget-amount">Budget amount</label>
            <input id="budget-amount" type="number" min="1" step="1" inputmode="numeric"></span>
          <span class="budget-input"><label for="budget-unit">Budget unit</label>
            <select id="budget-unit"><option value="SATS" selected>sats</option><option value="USD_CENTS">USD cents</option></select></span>
          <span class="budget-input"><label for="budget-period">Budget renews</label>
            <select id="budget-period">
              <option value="DAILY" selected>every day</option>
              <option value="WEEKLY">every week</option>
              <option value="MONTHLY">every month</option>
              <option value="YEARLY">every year</option>
              <option value="NEVER">never (a total)</option>
            </select></span>
          <span class="budget-input"><label for="budget-max">Maximum per payment</label>
            <input id="budget-max" type="number" min="1" step="1" inputmode="numeric"></span>
        </div>
        <span id="budget-hint" class="hint">For tokens that can send: the most they may send from all your wallets together,
          each payment converted at its own price. It renews at 00:00 UTC: every day; on Mondays (every week); on the 1st
          (every month); on 1 January (every year); or never. Empty amount: no budget.</span>
      </div>
    </fieldset>
    <fieldset>
      <legend>How the machine signs in</legend>
      <div class="choice"><input type="checkbox" id="static-key" name="staticKey" aria-describedby="static-key-warning">
        <label for="static-key"><strong>Static key</strong> (for the BTCPay Flash plugin 1.5.x)
        <span class="hint">The secret itself is accepted as the bearer token, for clients that cannot use OAuth2.</span></label></div>
      <p id="static-key-warning" class="warning-note"><strong>Warning:</strong> with a static key the secret travels on every
        request, so anyone who sees one request can use the token until you revoke or rotate it. Prefer OAuth2 (leave this
        unticked) wherever the client supports it, and give a static key only what the machine needs.</p>
    </fieldset>
    <button type="submit" id="create-submit">Create token</button>
  </form>
</section>

<section id="tokens" aria-labelledby="tokens-heading" hidden>
  <h2 id="tokens-heading">Your tokens</h2>
  <p class="hint">Each token shows its requests per day over the last 7 days and its recent activity (from the audit log, updated every few seconds). A token whose secret is older than the rotation age is marked “Rotation due”.</p>
  <p id="tokens-empty" hidden>No tokens yet.</p>
  <ul id="token-list" class="token-list"></ul>
</section>

</main>

<dialog id="revoke-dialog" aria-labelledby="revoke-title">
  <form method="dialog">
    <h2 id="revoke-title">Revoke “<span id="revoke-name"></span>”?</h2>
    <p>Machines using this token stop working at once. This cannot be undone.</p>
    <div class="dialog-actions">
      <button value="cancel" type="submit" autofocus>Cancel</button>
      <button value="confirm" type="submit" class="danger-button" id="revoke-confirm">Revoke token</button>
    </div>
  </form>
</dialog>

<dialog id="rotate-dialog" aria-labelledby="rotate-title">
  <form method="dialog">
    <h2 id="rotate-title">Rotate “<span id="rotate-name"></span>”?</h2>
    <p>You get a new client ID and secret. Choose how long the old ones keep working, so you can
    update your machine without downtime.</p>
    <label for="rotate-grace">Old credentials keep working for</label>
    <select id="rotate-grace">
      <option value="0">No time — stop at once</option>
      <option value="3600" selected>1 hour</option>
      <option value="86400">24 hours</option>
      <option value="604800">7 days</option>
    </select>
    <div class="dialog-actions">
      <button value="cancel" type="submit">Cancel</button>
      <button value="confirm" type="submit" id="rotate-confirm">Rotate token</button>
    </div>
  </form>
</dialog>
</body>
</html>
`

const asset = (file: string) => readFileSync(join(__dirname, "assets", file), "utf8")

export const apiTokensPageRoutes = (opts: { devMode: boolean }): Router => {
  const router = Router()
  const html = renderApiTokensPage(opts)
  // Read once at start: the files are part of the release, not user data.
  const script = asset("api-tokens.js")
  const styles = asset("api-tokens.css")
  const icon = asset("icon.svg")
  router.get(API_TOKENS_PAGE_PATH, (_req, res) => {
    securityHeaders(res).type("html").send(html)
  })
  router.get(`${ASSETS_PATH}/api-tokens.js`, (_req, res) => {
    securityHeaders(res).type("text/javascript").send(script)
  })
  router.get(`${ASSETS_PATH}/api-tokens.css`, (_req, res) => {
    securityHeaders(res).type("text/css").send(styles)
  })
  router.get(`${ASSETS_PATH}/icon.svg`, (_req, res) => {
    securityHeaders(res).type("image/svg+xml").send(icon)
  })
  return router
}
