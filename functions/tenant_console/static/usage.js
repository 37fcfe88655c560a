// Usage: the tenant's plan (set by its provider, read only here) and a month's statement: sessions, minutes and
// cost, split by channel, widget and number, and every session of the month (GET /plan, /usage; the time zone is time.js's).
// Also the banner every page shows once this month has used the plan's warning share of a limit.
import { api } from "./api.js";
import { whoAmI } from "./auth.js";
import { formatInZone } from "./time.js";
import { clear, field, h } from "./ui.js";
import { money, plural } from "./words.js";

const minutes = (value) => plural(Number((value || 0).toFixed(1)), "minute", "minutes");
const CHANNELS = { web: "Web widget", phone: "Phone", unknown: "Not known yet" };

function monthName(month) {
  const [year, number] = (month || "").split("-").map(Number);
  if (!year || !number) return month || "";
  return new Date(Date.UTC(year, number - 1, 15)).toLocaleDateString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

// "Dec 1, 2026, 10:42 AM EST": in the tenant's own time zone (time.js), with the zone named.
const localTime = (iso) => (iso ? formatInZone(iso, { weekday: false }) : "–");

function atLimit(plan) {
  return plan && plan.at_cap === "over_limit_profile"
    ? "your provider's message agent (a short agent that takes a message)"
    : "the standard agent of your phone number or widget, without your rules and profiles";
}

function limitsText(view) {
  const plan = view.plan;
  const parts = [];
  if (plan.monthly_minutes) parts.push(`${minutes(view.billable_minutes)} of ${minutes(plan.monthly_minutes)} (${view.percent_used.minutes ?? 0}%)`);
  if (plan.monthly_spend_cents) parts.push(`${money(view.cost_cents)} of ${money(plan.monthly_spend_cents)} (${view.percent_used.spend ?? 0}%)`);
  return parts.join(" and ");
}

// The share of a limit this month has used, when it is past the plan's warning level (else null).
export function usageWarning(view) {
  const plan = view && view.plan;
  if (!plan) return null;
  const used = Math.max(...Object.values(view.percent_used || {}), 0);
  if (view.capped) {
    return `This month's limit is reached (${limitsText(view)}). Callers now get ${atLimit(plan)}. Ask your provider to raise your limit.`;
  }
  if (used >= plan.alert_percent) {
    return `This month has used ${used}% of your limit (${limitsText(view)}). At the limit, callers will get ${atLimit(plan)}. Ask your provider if you need more.`;
  }
  return null;
}

function planCard(view) {
  const plan = view.plan;
  const card = h("section", { class: "card", id: "usage-plan", "aria-labelledby": "usage-plan-title" }, h("h3", { id: "usage-plan-title" }, "Your plan"));
  if (!plan) {
    card.append(h("p", {}, "No monthly limit: your provider has not set one. Your usage is still counted below."));
    return card;
  }
  const limits = [];
  if (plan.monthly_minutes) limits.push(`${minutes(plan.monthly_minutes)} a month`);
  if (plan.monthly_spend_cents) limits.push(`${money(plan.monthly_spend_cents)} of calls a month`);
  card.append(
    h("p", {}, limits.length ? `Limit: ${limits.join(" and ")}.` : "No monthly limit."),
    limits.length ? h("p", {}, `This month (${monthName(view.month)}): ${limitsText(view)}.`) : null,
    limits.length ? h("p", {}, `At the limit, callers get ${atLimit(plan)}. You are warned at ${plan.alert_percent}%.`) : null,
    h("p", { class: "muted" }, "Your provider sets your plan; ask them to change it."),
  );
  return card;
}

function table(caption, headers, rows) {
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", { class: i ? "num" : "" }, x)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => h("td", { class: i ? "num" : "" }, cell))))),
  );
}

function splitTable(title, split, label) {
  const rows = Object.entries(split || {}).map(([name, t]) => [label(name), String(t.sessions), minutes(t.billable_minutes), money(t.cost_cents)]);
  return h("section", { class: "card" }, h("h3", {}, title), rows.length ? table(title, ["", "Sessions", "Minutes", "Cost"], rows) : h("p", { class: "muted" }, "None."));
}

function statementView(statement) {
  const totals = statement.totals || {};
  const out = [];
  const waiting = totals.without_cost
    ? h("p", { class: "notice", id: "usage-waiting" }, `${plural(totals.without_cost, "session is", "sessions are")} still waiting for ThunderPhone's record of its minutes and cost; they are filled in within the hour.`)
    : null;
  const final = statement.final
    ? "This month is closed: these figures are final."
    : "This month's figures can still change as calls end and their records arrive.";
  out.push(
    h("p", { class: "muted" }, `${monthName(statement.month)}, in your provider's billing time zone (${statement.timezone}). ${final}`),
    h(
      "div",
      { class: "kpis" },
      h("div", { class: "kpi", id: "usage-sessions" }, h("div", { class: "value" }, String(totals.sessions ?? 0)), h("div", { class: "label" }, totals.sessions === 1 ? "session" : "sessions")),
      h("div", { class: "kpi", id: "usage-minutes" }, h("div", { class: "value" }, Number((totals.billable_minutes || 0).toFixed(1)).toString()), h("div", { class: "label" }, "billable minutes")),
      h("div", { class: "kpi", id: "usage-cost" }, h("div", { class: "value" }, money(totals.cost_cents)), h("div", { class: "label" }, "cost")),
    ),
    waiting,
    h(
      "div",
      { class: "cols" },
      splitTable("By channel", statement.by_channel, (name) => CHANNELS[name] || name),
      splitTable("By widget", statement.by_widget, (name) => (name === "(none)" ? "No widget" : name)),
      splitTable("By number called", statement.by_number, (name) => (name === "(none)" ? "Not a phone call" : name)),
    ),
  );
  const lines = statement.lines || [];
  out.push(
    h(
      "section",
      { class: "card", id: "usage-lines", "aria-labelledby": "usage-lines-title" },
      h("h3", { id: "usage-lines-title" }, "Every session"),
      lines.length
        ? h("div", { class: "table-scroll" }, table(
            "Every session of the month",
            ["When", "Channel", "Widget or number", "Minutes", "Cost", "Note"],
            lines.map((line) => [
              localTime(line.at),
              CHANNELS[line.channel] || "–",
              line.widget_id || line.number || "–",
              line.status === "costed" ? Number((line.billable_minutes || 0).toFixed(1)).toString() : "–",
              line.status === "costed" ? money(line.cost_cents) : "–",
              [line.status === "costed" ? "" : "cost not known yet", line.decision === "capped" ? "over the limit" : ""].filter(Boolean).join("; "),
            ]),
          ))
        : h("p", { class: "muted" }, "No sessions in this month yet. They appear here as calls come in."),
    ),
  );
  return out.filter(Boolean); // no "waiting" notice when every session has its cost
}

export async function usageView(container) {
  container.append(h("h2", {}, "Usage"));
  const month = h("input", { type: "month", name: "month", id: "usage-month" });
  const form = h("form", { class: "actions", "aria-label": "Month" }, field("Month", month), h("button", { type: "submit" }, "Show"));
  const out = h("div", { id: "usage", "aria-live": "polite" });
  container.append(form, out);

  async function load() {
    clear(out);
    out.append(h("p", { class: "muted" }, "Loading…"));
    let usage;
    try {
      usage = (await api("GET", `/usage${month.value ? `?month=${encodeURIComponent(month.value)}` : ""}`)).data;
    } catch (error) {
      clear(out);
      out.append(h("p", { class: "notice error", id: "usage-error", role: "alert" }, error.message));
      return;
    }
    clear(out);
    if (!month.value) month.value = usage.statement.month;
    showUsageBanner(usage.plan); // the banner above the page says when a limit is near or reached
    out.append(planCard(usage.plan), ...statementView(usage.statement));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}

// The banner above every page: shown once this month is past the warning level, kept up to date on each page
// (from `plan`, this month's plan view, when the page already has it; else read).
export async function showUsageBanner(plan = null) {
  const main = document.getElementById("main");
  let banner = document.getElementById("usage-banner");
  if (!whoAmI() || !main) {
    if (banner) banner.remove();
    return;
  }
  let warning = null;
  try {
    warning = usageWarning(plan || (await api("GET", "/plan")).data);
  } catch {
    warning = null; // the page itself says what went wrong
  }
  if (!warning) {
    if (banner) banner.remove();
    return;
  }
  if (!banner) {
    banner = h("p", { id: "usage-banner", class: "notice warn", role: "status" });
    main.prepend(banner);
  }
  banner.replaceChildren(warning, " ", h("a", { href: "#usage" }, "See your usage"));
}

// Signed out (or the session ended): the banner goes with the tenant's pages.
function dropBanner() {
  const banner = document.getElementById("usage-banner");
  if (banner) banner.remove();
}
document.getElementById("sign-out")?.addEventListener("click", dropBanner);
window.addEventListener("console:unauthorized", dropBanner);
