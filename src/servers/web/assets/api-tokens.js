// @ts-check
// The browser side of /settings/api-tokens. Plain JavaScript served as is (no
// build step); `npm test` type-checks it with tsconfig.web.json (checkJs, DOM
// types) and lints it. It talks only to the public GraphQL API with the user's
// session, and writes untrusted text with textContent only (never innerHTML).

const SESSION_KEY = "flash.apiTokens.session"
const DAY_MS = 24 * 3600 * 1000
const ALL_SCOPES = ["read", "receive", "write"]

/** @typedef {{ code: string, message: string }} PayloadError */
// Timestamps are Flash's `Timestamp` scalar: Unix time in seconds.
/**
 * @typedef {{ id: string, name: string, clientId: string, scopes: string[], status: string,
 *   createdAt: number, expiresAt: number | null, lastUsedAt: number | null, walletIds: string[] | null,
 *   ipAllowlist: string[] | null, budget: Budget | null, staticKey: boolean,
 *   secretCreatedAt: number, rotationDue: boolean, rotationDueAt: number }} ApiToken
 */
/**
 * @typedef {{ amount: number, unit: string, period: string, maxPerPayment: number | null,
 *   used: number, remaining: number, renewsAt: number | null }} Budget
 */
/** @typedef {{ type: string, at: number, requests: number | null }} AuditEntry */
/**
 * @typedef {{ id: string, name: string, clientId: string, clientSecret: string, scopes: string[],
 *   expiresAt: number | null, tokenEndpoint: string, warning: string, connectionString: string,
 *   pluginConnectionString: string | null }} ApiTokenCreated
 */
/** @typedef {{ token: string, label: string }} Session */

const TOKEN_FIELDS =
  "id name clientId scopes status createdAt expiresAt lastUsedAt walletIds ipAllowlist budget { amount unit period maxPerPayment used remaining renewsAt } staticKey secretCreatedAt rotationDue rotationDueAt"
const CREATED_FIELDS = "id name clientId clientSecret scopes expiresAt tokenEndpoint warning connectionString pluginConnectionString"

const Q = {
  list: `query ApiTokens { apiTokens { ${TOKEN_FIELDS} } }`,
  usage: "query Usage($tokenId: ID) { apiTokenAuditEvents(tokenId: $tokenId, first: 500) { type at requests } }",
  wallets: "query MyWallets { me { defaultAccount { wallets { id walletCurrency } } } }",
  create: `mutation ApiTokenCreate($input: ApiTokenCreateInput!) {
    apiTokenCreate(input: $input) { errors { code message } apiToken { ${CREATED_FIELDS} } } }`,
  revoke: `mutation ApiTokenRevoke($input: ApiTokenRevokeInput!) {
    apiTokenRevoke(input: $input) { errors { code message } apiToken { ${TOKEN_FIELDS} } } }`,
  rotate: `mutation ApiTokenRotate($input: ApiTokenRotateInput!) {
    apiTokenRotate(input: $input) { errors { code message } apiToken { ${CREATED_FIELDS} } } }`,
}

/** @param {string} id */
const $ = (id) => {
  const el = document.getElementById(id)
  if (!el) throw new Error(`missing #${id}`)
  return el
}
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ ($(id))

const devMode = document.body.dataset.devMode === "true"
/** Wallet id → "BTC wallet", when the server lists the account's wallets. */
const walletNames = new Map()

class SessionError extends Error {}

// ---- session -------------------------------------------------------------

/** @returns {Session | undefined} */
const loadSession = () => {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY)
    return raw ? /** @type {Session} */ (JSON.parse(raw)) : undefined
  } catch {
    return undefined
  }
}
/** @param {Session | undefined} s */
const saveSession = (s) => (s ? sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)) : sessionStorage.removeItem(SESSION_KEY))

// ---- messages ------------------------------------------------------------

/** @param {string} text */
const announce = (text) => {
  $("alert").textContent = ""
  $("status").textContent = text
}
/** @param {string} text */
const fail = (text) => {
  $("status").textContent = ""
  $("alert").textContent = text
}

// ---- GraphQL -------------------------------------------------------------

/**
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<any>}
 */
const gql = async (query, variables) => {
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" }
  // Dev mode: the bearer from the dev login. Otherwise the gateway adds the
  // session to the request, unless the Flash app left a bearer for this tab.
  const session = loadSession()
  if (session) headers.authorization = `Bearer ${session.token}`
  const res = await fetch("/graphql", {
    method: "POST",
    headers,
    credentials: "same-origin",
    body: JSON.stringify({ query, variables }),
  })
  if (res.status === 401) throw new SessionError("Your session has expired or is missing. Sign in again.")
  const body = await res.json().catch(() => ({}))
  const errors = /** @type {Array<{message: string, extensions?: {code?: string}}> | undefined} */ (body.errors)
  if (errors && errors.length > 0) {
    const first = errors[0]
    if (first?.extensions?.code === "UNAUTHENTICATED") throw new SessionError("Sign in to manage your tokens.")
    throw new Error(first?.message ?? "The request failed")
  }
  if (!res.ok) throw new Error(`The request failed (HTTP ${res.status})`)
  return body.data
}

/** @param {{ errors: PayloadError[] }} payload */
const payloadError = (payload) =>
  payload.errors.length > 0 ? payload.errors.map((e) => e.message).join(" ") : undefined

/**
 * Runs an action, showing its failure in the alert region.
 * @param {() => Promise<void>} action
 */
const guarded = async (action) => {
  try {
    await action()
  } catch (e) {
    if (e instanceof SessionError) {
      if (devMode) signOut()
      fail(e.message)
      return
    }
    fail(e instanceof Error ? e.message : String(e))
  }
}

// ---- formatting ----------------------------------------------------------

/** @param {number} seconds Unix time */
const dateOf = (seconds) => new Date(seconds * 1000)

/**
 * A <time> element showing the day (UTC), with the full time as its title; or `never`.
 * @param {number | null} seconds
 * @param {string} never
 */
const timeEl = (seconds, never) => {
  if (seconds == null) return document.createTextNode(never)
  const d = dateOf(seconds)
  const t = document.createElement("time")
  t.dateTime = d.toISOString()
  t.title = d.toUTCString()
  t.textContent = d.toISOString().slice(0, 10)
  return t
}

/** @param {ApiToken} t @param {number} now */
const warningsOf = (t, now) => {
  /** @type {string[]} */
  const out = []
  if (t.status !== "ACTIVE") return out
  if (t.expiresAt != null) {
    const left = dateOf(t.expiresAt).getTime() - now
    if (left <= 7 * DAY_MS) {
      const days = Math.max(0, Math.ceil(left / DAY_MS))
      out.push(days <= 1 ? "Expires within a day" : `Expires in ${days} days`)
    }
  }
  return out
}

const scopeLabel = /** @type {Record<string, string>} */ ({ read: "Read", receive: "Receive", write: "Send" })

const budgetUnitLabel = /** @type {Record<string, string>} */ ({ SATS: "sats", USD_CENTS: "USD cents" })
const budgetPeriodLabel = /** @type {Record<string, string>} */ ({
  DAILY: "per day",
  WEEKLY: "per week",
  MONTHLY: "per month",
  YEARLY: "per year",
  NEVER: "in total",
})

/** "1,000 sats per day, at most 200 a payment" @param {Budget} b */
const budgetSummary = (b) => {
  const unit = budgetUnitLabel[b.unit] ?? b.unit
  const max = b.maxPerPayment != null ? `, at most ${b.maxPerPayment.toLocaleString("en")} a payment` : ""
  return `${b.amount.toLocaleString("en")} ${unit} ${budgetPeriodLabel[b.period] ?? b.period}${max}`
}

/** "300 used, 700 left · renews 2026-12-03 00:00 UTC" @param {Budget} b */
const budgetUsage = (b) => {
  const span = el("span", undefined, `${b.used.toLocaleString("en")} used, ${b.remaining.toLocaleString("en")} left · `)
  span.dataset.role = "budget-usage"
  if (b.renewsAt == null) {
    span.append("never renews")
    return span
  }
  const d = dateOf(b.renewsAt)
  const t = document.createElement("time")
  t.dateTime = d.toISOString()
  t.textContent = `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`
  span.append("renews ", t)
  return span
}

// ---- rendering -----------------------------------------------------------

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
const el = (tag, className, text) => {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

/**
 * @param {HTMLElement} dl
 * @param {string} term
 * @param {Node | string} value
 */
const row = (dl, term, value) => {
  const div = el("div")
  div.append(el("dt", undefined, term))
  const dd = el("dd")
  dd.append(value)
  div.append(dd)
  dl.append(div)
}

// ---- rotation reminders (the server decides: API_TOKEN_ROTATION_DUE_DAYS) --

/** "Rotation due since <day>". @param {ApiToken} t */
const rotationDueBadge = (t) => {
  const b = el("span", "badge rotation-due", "⚠ Rotation due since ")
  b.dataset.role = "rotation-due"
  b.append(timeEl(t.rotationDueAt, "—"))
  return b
}

/** What to do about it, beside the Rotate button. @param {ApiToken} t */
const rotationHint = (t) => {
  const p = el("p", "rotation-hint", "This secret was issued on ")
  p.dataset.role = "rotation-hint"
  p.append(
    timeEl(t.secretCreatedAt, "—"),
    " and is due for rotation. Rotate the token to get a new secret, put it into the machine that uses it, " +
      "and choose how long the old one keeps working so nothing stops in between.",
  )
  return p
}

/** @param {ApiToken} t @param {number} now */
const tokenCard = (t, now) => {
  const li = el("li", `token token-${t.status.toLowerCase()}`)
  li.dataset.tokenId = t.id
  const article = el("article")
  article.setAttribute("aria-labelledby", `token-${t.id}-name`)
  const head = el("div", "token-head")
  const h3 = el("h3", undefined, t.name)
  h3.id = `token-${t.id}-name`
  h3.tabIndex = -1 // focus lands here after a revoke or rotate re-renders the list
  head.append(h3)
  const status = el("span", `badge status-${t.status.toLowerCase()}`, t.status.charAt(0) + t.status.slice(1).toLowerCase())
  status.dataset.role = "status"
  head.append(status)
  if (t.rotationDue) head.append(rotationDueBadge(t))
  for (const w of warningsOf(t, now)) {
    const b = el("span", "badge warn", `⚠ ${w}`)
    b.dataset.role = "warning"
    head.append(b)
  }
  article.append(head)

  const dl = el("dl", "token-facts")
  row(dl, "Can", t.scopes.map((s) => scopeLabel[s] ?? s).join(", "))
  row(dl, "Created", timeEl(t.createdAt, "—"))
  row(dl, "Expires", timeEl(t.expiresAt, "Never"))
  row(dl, "Last used", timeEl(t.lastUsedAt, "Never"))
  row(dl, "Client ID", el("code", undefined, t.clientId))
  dl.lastElementChild?.classList.add("wide")
  if (t.walletIds && t.walletIds.length > 0) {
    row(dl, "Wallets", t.walletIds.map((id) => walletNames.get(id) ?? id).join(", "))
    dl.lastElementChild?.classList.add("wide")
  }
  if (t.ipAllowlist && t.ipAllowlist.length > 0) {
    row(dl, "From", t.ipAllowlist.join(", "))
    dl.lastElementChild?.classList.add("wide")
  }
  if (t.budget) {
    row(dl, "Budget", budgetSummary(t.budget))
    dl.lastElementChild?.classList.add("wide")
    row(dl, "Budget used", budgetUsage(t.budget))
    dl.lastElementChild?.classList.add("wide")
  }
  if (t.staticKey) row(dl, "Signs in with", "Static key (the secret as bearer)")
  article.append(dl)
  if (t.rotationDue) article.append(rotationHint(t))

  if (t.status === "ACTIVE") {
    const actions = el("div", "token-actions")
    const rotate = el("button", undefined, "Rotate")
    rotate.setAttribute("type", "button")
    rotate.setAttribute("aria-label", `Rotate ${t.name}`)
    rotate.addEventListener("click", () => openRotate(t))
    const revoke = el("button", "danger-button", "Revoke")
    revoke.setAttribute("type", "button")
    revoke.setAttribute("aria-label", `Revoke ${t.name}`)
    revoke.addEventListener("click", () => openRevoke(t))
    actions.append(rotate, revoke)
    article.append(actions)
  }
  li.append(article)
  return li
}

/**
 * Requests per day over the last 7 days, from the hourly usage rows of the audit log.
 * @param {Array<{ type: string, at: number, requests: number | null }>} events
 * @param {number} now
 */
const dailyRequests = (events, now) => {
  const today = new Date(now)
  today.setHours(0, 0, 0, 0)
  const days = Array.from({ length: 7 }, (_, i) => ({ start: today.getTime() - (6 - i) * DAY_MS, requests: 0 }))
  for (const e of events) {
    if (e.type !== "USAGE_HOUR") continue
    const at = e.at * 1000
    const day = days.find((d) => at >= d.start && at < d.start + DAY_MS)
    if (day) day.requests += e.requests ?? 0
  }
  return days
}

/**
 * A small bar chart; its label reads out every day's count for screen readers.
 * @param {Array<{ start: number, requests: number }>} days
 */
const usageChart = (days) => {
  const total = days.reduce((n, d) => n + d.requests, 0)
  const max = Math.max(1, ...days.map((d) => d.requests))
  const figure = el("figure", "usage")
  figure.dataset.role = "usage"
  figure.dataset.total = String(total)
  const bars = el("div", "usage-bars")
  bars.setAttribute("role", "img")
  /** @param {{ start: number }} d */
  const fmt = (d) => new Date(d.start).toLocaleDateString(undefined, { weekday: "short" })
  bars.setAttribute("aria-label", days.map((d) => `${fmt(d)}: ${d.requests}`).join(", "))
  for (const d of days) {
    const bar = el("div", "usage-bar")
    bar.style.height = `${Math.round((d.requests / max) * 100)}%`
    bar.title = `${fmt(d)}: ${d.requests} requests`
    bars.append(bar)
  }
  figure.append(bars, el("figcaption", undefined, `${total} ${total === 1 ? "request" : "requests"} in the last 7 days`))
  return figure
}

// ---- activity: the token's audit trail in words -----------------------------

const EVENT_WORDS = /** @type {Record<string, string>} */ ({
  API_TOKEN_CREATED: "Created",
  API_TOKEN_ROTATED: "Rotated: new credentials issued",
  API_TOKEN_UPDATED: "Permissions or limits changed",
  API_TOKEN_REVOKED: "Revoked",
  API_TOKEN_EXPIRED: "Expired",
  API_TOKEN_ROTATION_DUE: "Rotation due: the secret reached the rotation age. Rotate the token.",
  MANAGEMENT_REFUSED: "A management request was refused",
  TOKEN_ISSUANCE_REFUSED: "A request for an access token was refused",
  ACCOUNT_LOCKED: "Account locked by an operator",
  ACCOUNT_UNLOCKED: "Account unlocked by an operator",
})
const ACTIVITY_SHOWN = 5

/** The latest events other than hourly usage, newest first. @param {AuditEntry[]} events */
const activityList = (events) => {
  const shown = events.filter((e) => e.type !== "USAGE_HOUR").slice(0, ACTIVITY_SHOWN)
  const box = el("div", "activity")
  box.dataset.role = "activity"
  box.append(el("h4", undefined, "Recent activity"))
  const list = el("ol")
  for (const e of shown) {
    const item = el("li")
    item.dataset.eventType = e.type
    item.append(timeEl(e.at, "—"), " ", EVENT_WORDS[e.type] ?? e.type)
    list.append(item)
  }
  box.append(shown.length > 0 ? list : el("p", "hint", "Nothing yet."))
  return box
}

/** Adds each token's 7-day usage chart once its audit rows arrive. @param {ApiToken[]} tokens */
const loadUsage = async (tokens) => {
  const now = Date.now()
  await Promise.all(
    tokens.map(async (t) => {
      const data = await gql(Q.usage, { tokenId: t.id })
      const article = document.querySelector(`li[data-token-id="${t.id}"] article`)
      article?.querySelector("figure.usage")?.remove()
      article?.append(usageChart(dailyRequests(data.apiTokenAuditEvents, now)))
      article?.querySelector(".activity")?.remove()
      article?.append(activityList(data.apiTokenAuditEvents))
    }),
  )
}

/** @param {ApiToken[]} tokens */
const renderTokens = (tokens) => {
  const list = $("token-list")
  const now = Date.now()
  list.replaceChildren(...tokens.map((t) => tokenCard(t, now)))
  $("tokens-empty").hidden = tokens.length > 0
}

const refreshTokens = async () => {
  const data = await gql(Q.list)
  const tokens = /** @type {ApiToken[]} */ (data.apiTokens)
  renderTokens(tokens)
  // The charts are extra: the list stays usable if they fail.
  void loadUsage(tokens).catch(() => undefined)
}

/**
 * Keyboard users keep their place: the button they used is gone after the re-render.
 * @param {string} id
 */
const focusToken = (id) => document.getElementById(`token-${id}-name`)?.focus()

/** @param {ApiTokenCreated} c @param {string} what */
const showCredentials = (c, what) => {
  $("cred-name").textContent = c.name
  $("cred-client-id").textContent = c.clientId
  $("cred-client-secret").textContent = c.clientSecret
  $("cred-token-url").textContent = c.tokenEndpoint
  $("cred-connection-string").textContent = c.connectionString
  showPluginConnectionString(c)
  $("cred-expiry").textContent = c.expiresAt != null ? `The token expires on ${dateOf(c.expiresAt).toUTCString()}.` : "The token does not expire."
  const panel = $("credentials")
  panel.hidden = false
  panel.focus()
  announce(`${what} “${c.name}”. Copy the secret now: you will not see it again.`)
}

/**
 * A static-key token's own string, in the released plugin's format; the server's
 * one-sentence usage note (static key or OAuth2-only) under the credentials.
 * @param {ApiTokenCreated} c
 */
const showPluginConnectionString = (c) => {
  $("cred-plugin-connection-string").textContent = c.pluginConnectionString ?? ""
  $("cred-plugin-row").hidden = !c.pluginConnectionString
  $("cred-usage").textContent = c.warning
}

const hideCredentials = () => {
  // Drop the secret from the page as soon as the user is done with it.
  for (const id of [
    "cred-name",
    "cred-client-id",
    "cred-client-secret",
    "cred-token-url",
    "cred-connection-string",
    "cred-plugin-connection-string",
    "cred-usage",
    "cred-expiry",
  ])
    $(id).textContent = ""
  $("cred-plugin-row").hidden = true
  $("credentials").hidden = true
}

// ---- wallets (the `me` query exists once the wallet API is deployed) ------

const loadWallets = async () => {
  const choices = $("wallet-choices")
  try {
    // Asked directly, not through introspection (off in production): a server
    // without `me` answers with an error, and the catch below offers the text field.
    const data = await gql(Q.wallets)
    const wallets = /** @type {Array<{id: string, walletCurrency: string}>} */ (data.me.defaultAccount.wallets)
    for (const w of wallets) walletNames.set(w.id, `${w.walletCurrency} wallet`)
    choices.replaceChildren(
      ...wallets.map((w) => {
        const span = el("span", "choice")
        const box = document.createElement("input")
        box.type = "checkbox"
        box.name = "wallet"
        box.value = w.id
        box.id = `wallet-${w.id}`
        const label = el("label", undefined, `${w.walletCurrency} wallet`)
        label.setAttribute("for", box.id)
        label.title = w.id
        span.append(box, label)
        return span
      }),
    )
    choices.hidden = false
    $("wallet-label").hidden = false
    $("wallet-text-field").hidden = true
  } catch (e) {
    if (e instanceof SessionError) throw e
    // No wallet query on this server: let the merchant type wallet ids.
    choices.hidden = true
    $("wallet-label").hidden = true
    $("wallet-text-field").hidden = false
  }
}

// ---- create --------------------------------------------------------------

/** @param {string} text */
const listOf = (text) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)

/** @returns {Record<string, unknown> | string} the input, or what is wrong with the form */
const readCreateForm = () => {
  const name = input("token-name").value.trim()
  if (name.length === 0) return "Give the token a name."
  const scopes = ALL_SCOPES.filter((s) => input(`scope-${s}`).checked)
  if (scopes.length === 0) return "Choose at least one thing the token may do."
  const expiry = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="expiry"]:checked'))?.value ?? "90"
  const days = expiry === "custom" ? Number(input("custom-expiry-days").value) : Number(expiry)
  if (!Number.isInteger(days) || days < 1 || days > 365) return "Choose an expiry between 1 and 365 days."
  /** @type {Record<string, unknown>} */
  const out = { name, scopes, expiresIn: days * 24 * 3600 }
  const walletIds = $("wallet-text-field").hidden
    ? [...document.querySelectorAll('input[name="wallet"]:checked')].map((b) => /** @type {HTMLInputElement} */ (b).value)
    : listOf(input("wallet-ids").value)
  if (walletIds.length > 0) out.walletIds = walletIds
  const ips = listOf(/** @type {HTMLTextAreaElement} */ ($("ip-allowlist")).value)
  if (ips.length > 0) out.ipAllowlist = ips
  if (input("static-key").checked) out.staticKey = true
  const budget = readBudgetFields()
  if (typeof budget === "string") return budget
  if (budget) out.budget = budget
  return out
}

/** @returns {Record<string, unknown> | undefined | string} the budget input, none, or what is wrong with it */
const readBudgetFields = () => {
  const amount = input("budget-amount").value.trim()
  const max = input("budget-max").value.trim()
  if (amount === "") return max === "" ? undefined : "Give a budget amount to set a maximum per payment."
  const n = Number(amount)
  if (!Number.isInteger(n) || n < 1) return "The budget must be a whole number above 0."
  /** @type {Record<string, unknown>} */
  const out = {
    amount: n,
    unit: /** @type {HTMLSelectElement} */ ($("budget-unit")).value,
    period: /** @type {HTMLSelectElement} */ ($("budget-period")).value,
  }
  if (max !== "") {
    const m = Number(max)
    if (!Number.isInteger(m) || m < 1) return "The maximum per payment must be a whole number above 0."
    if (m > n) return "The maximum per payment cannot be more than the budget."
    out.maxPerPayment = m
  }
  return out
}

/** @param {SubmitEvent} ev */
const onCreate = (ev) => {
  ev.preventDefault()
  void guarded(async () => {
    const inputOrProblem = readCreateForm()
    if (typeof inputOrProblem === "string") return fail(inputOrProblem)
    const button = /** @type {HTMLButtonElement} */ ($("create-submit"))
    button.disabled = true
    try {
      announce("Creating the token…")
      const data = await gql(Q.create, { input: inputOrProblem })
      const payload = data.apiTokenCreate
      const problem = payloadError(payload)
      if (problem) return fail(problem)
      const form = /** @type {HTMLFormElement} */ ($("create-form"))
      form.reset()
      $("custom-expiry-field").hidden = true
      showCredentials(payload.apiToken, "Created")
      await refreshTokens()
    } finally {
      button.disabled = false
    }
  })
}

// ---- revoke and rotate -----------------------------------------------------

/**
 * Opens a confirmation dialog; resolves with true when the user confirmed.
 * @param {string} dialogId
 */
const confirmWith = (dialogId) =>
  new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ ($(dialogId))
    dialog.returnValue = ""
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true })
    dialog.showModal()
  })

/** @param {ApiToken} t */
const openRevoke = (t) => {
  $("revoke-name").textContent = t.name
  void confirmWith("revoke-dialog").then((ok) => {
    if (!ok) return announce("Nothing revoked.")
    return guarded(async () => {
      const data = await gql(Q.revoke, { input: { id: t.id } })
      const problem = payloadError(data.apiTokenRevoke)
      if (problem) return fail(problem)
      await refreshTokens()
      focusToken(t.id)
      announce(`Revoked “${t.name}”. Machines using it can no longer call Flash.`)
    })
  })
}

/** @param {ApiToken} t */
const openRotate = (t) => {
  $("rotate-name").textContent = t.name
  void confirmWith("rotate-dialog").then((ok) => {
    if (!ok) return announce("Nothing rotated.")
    const grace = Number(/** @type {HTMLSelectElement} */ ($("rotate-grace")).value)
    return guarded(async () => {
      const data = await gql(Q.rotate, { input: { id: t.id, gracePeriodSeconds: grace } })
      const payload = data.apiTokenRotate
      const problem = payloadError(payload)
      if (problem) return fail(problem)
      showCredentials(payload.apiToken, grace > 0 ? "Rotated (the old credentials keep working for a while)" : "Rotated")
      await refreshTokens()
    })
  })
}

// ---- copy buttons ----------------------------------------------------------

/** @param {HTMLElement} source */
const selectText = (source) => {
  const range = document.createRange()
  range.selectNodeContents(source)
  const sel = window.getSelection()
  sel?.removeAllRanges()
  sel?.addRange(range)
}

/** @param {MouseEvent} ev */
const onCopy = (ev) => {
  const button = /** @type {HTMLElement | null} */ (ev.target instanceof Element ? ev.target.closest("button.copy") : null)
  if (!button) return
  const source = $(button.dataset.copy ?? "")
  const text = source.textContent ?? ""
  const what = button.getAttribute("aria-label")?.replace(/^Copy /, "") ?? "text"
  navigator.clipboard
    .writeText(text)
    .then(() => {
      button.textContent = "Copied"
      setTimeout(() => (button.textContent = "Copy"), 2000)
      announce(`Copied the ${what}.`)
    })
    .catch(() => {
      selectText(source)
      announce(`Could not use the clipboard: the ${what} is selected, press Ctrl+C (or ⌘C) to copy it.`)
    })
}

// ---- sign in / out ---------------------------------------------------------

const showSignedIn = async () => {
  const session = loadSession()
  $("session-state").hidden = !session
  $("session-text").textContent = session ? `Signed in as ${session.label}.` : ""
  const login = document.getElementById("dev-login")
  if (login) login.hidden = !!session
  await loadWallets()
  await refreshTokens()
  $("create").hidden = false
  $("tokens").hidden = false
}

const signOut = () => {
  saveSession(undefined)
  hideCredentials()
  $("session-state").hidden = true
  $("create").hidden = true
  $("tokens").hidden = true
  $("token-list").replaceChildren()
  const login = document.getElementById("dev-login")
  if (login) login.hidden = false
}

/** @param {SubmitEvent} ev */
const onDevLogin = (ev) => {
  ev.preventDefault()
  void guarded(async () => {
    const phone = input("dev-phone").value.trim()
    const res = await fetch("/dev/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone }),
    })
    const body = await res.json().catch(() => ({}))
    if (!res.ok) return fail(body.error?.message ?? `Dev login failed (HTTP ${res.status})`)
    saveSession({ token: body.token, label: phone })
    await showSignedIn()
    announce(`Signed in as ${phone}.`)
  })
}

// ---- start -----------------------------------------------------------------

const start = () => {
  $("create-form").addEventListener("submit", onCreate)
  for (const radio of document.querySelectorAll('input[name="expiry"]'))
    radio.addEventListener("change", () => {
      const custom = input("expiry-custom").checked
      $("custom-expiry-field").hidden = !custom
      if (custom) input("custom-expiry-days").focus()
    })
  $("credentials").addEventListener("click", onCopy)
  $("credentials-done").addEventListener("click", () => {
    hideCredentials()
    announce("The secret is no longer shown.")
  })
  $("sign-out").addEventListener("click", () => {
    signOut()
    announce("Signed out.")
  })
  document.getElementById("dev-login")?.addEventListener("submit", onDevLogin)

  // Dev mode needs the dev login first; outside it the gateway's session may already be there.
  if (!devMode || loadSession()) void guarded(showSignedIn)
}

start()
