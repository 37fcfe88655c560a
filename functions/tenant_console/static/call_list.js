// Every call, newest first (GET /calls): filters as controls kept in the address (#calls/list?day=...&channel=...),
// so the chart's day links here and the back button returns to the same list; a page at a time ("Show more").
import { api, encode } from "./api.js";
import { clear, field, h } from "./ui.js";
import { dayInZone, formatInZone, zoneLabel } from "./time.js";
import { capitalized, duration, money, plural, sentence } from "./words.js";

export const FILTERS = ["day", "channel", "widget", "rule", "fallback"];

export function listHref(filters = {}) {
  const query = FILTERS.filter((name) => filters[name]).map((name) => `${name}=${encode(filters[name])}`).join("&");
  return `#calls/list${query ? `?${query}` : ""}`;
}

function filtersOfHash() {
  const query = (window.location.hash.split("?")[1] || "").split("&").filter(Boolean);
  const out = {};
  for (const pair of query) {
    const [name, value = ""] = pair.split("=");
    if (!FILTERS.includes(name)) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // an address typed or pasted wrong ("%E0"): that filter is dropped, the list still shows
    }
  }
  return out;
}

function select(name, label, options, value) {
  const control = h(
    "select",
    { name, id: `calls-${name}` },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value || undefined }, text)),
  );
  control.value = value || "";
  return field(label, control);
}

// Where the call came from, in words: the caller (masked) or the widget.
export function origin(call) {
  if (call.channel === "web") return call.widget_id ? `Web session from the '${call.widget_id}' widget` : "Web session from your site (no widget)";
  const who = call.caller ? `from ${call.caller}` : "from a withheld number";
  return `Phone call ${who}${call.customer_known ? " (a customer)" : ""}`;
}

// How it was answered, in words.
export function answeredBy(call) {
  if (!call.answered) return "No answer of Switchboard's was recorded for this call.";
  if (call.fallback) return "Fell back to ThunderPhone's own agent.";
  const variant = call.variant ? `, variant ${call.variant}` : "";
  return call.rule_id ? `Rule '${call.rule_id}'${variant} → profile '${call.profile_id}'` : `Default profile '${call.profile_id}'`;
}

export function outcomeShort(outcome) {
  if (!outcome) return "No outcome yet";
  const bits = [];
  if (outcome.duration_seconds !== null && outcome.duration_seconds !== undefined) bits.push(duration(outcome.duration_seconds));
  if (outcome.end_reason) bits.push(outcome.end_reason);
  if (outcome.cost_cents !== null && outcome.cost_cents !== undefined) bits.push(money(outcome.cost_cents));
  return capitalized(bits.join(" · ") || outcome.status || "Ended");
}

function callItem(call) {
  return h(
    "li",
    { class: "call", "data-call": String(call.call_id) },
    h("a", { href: `#calls/${call.call_id}` }, formatInZone(call.at)),
    h("p", {}, origin(call)),
    h("p", { class: call.fallback ? "warn" : "muted" }, answeredBy(call), " · ", outcomeShort(call.outcome)),
  );
}

async function choices() {
  // The tenant's rules and the widgets they name, for the pickers; an empty list when they cannot be read.
  try {
    const rules = (await api("GET", "/rules")).data.items || [];
    const widgets = [...new Set(rules.flatMap((rule) => (rule.when && rule.when.widget_ids) || []))].sort();
    return { rules: rules.map((rule) => rule.rule_id).sort(), widgets };
  } catch {
    return { rules: [], widgets: [] };
  }
}

export async function callListView(out) {
  const current = filtersOfHash();
  const { rules, widgets } = await choices();
  if (current.widget && !widgets.includes(current.widget)) widgets.push(current.widget);
  if (current.rule && !rules.includes(current.rule)) rules.push(current.rule);
  const day = h("input", { type: "date", name: "day", id: "calls-day", value: current.day || "" });
  const form = h(
    "form",
    { class: "card filters", id: "calls-filters", "aria-label": "Which calls" },
    h(
      "div",
      { class: "cols" },
      field("Day", day, `in ${zoneLabel()}`),
      select("channel", "Channel", [["", "Phone calls and web sessions"], ["phone", "Phone calls"], ["web", "Web sessions"]], current.channel),
      select("widget", "Widget", [["", "Any widget"], ...widgets.map((w) => [w, w])], current.widget),
      select("rule", "Rule", [["", "Any rule"], ...rules.map((r) => [r, r])], current.rule),
      select("fallback", "Answer", [["", "Answered or fell back"], ["no", "Answered by your agents"], ["yes", "Fell back to ThunderPhone's agent"]], current.fallback),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", id: "calls-apply" }, "Show calls"),
      h("button", { type: "button", class: "secondary", id: "calls-today", onclick: () => go({ ...read(), day: dayInZone() }) }, "Today"),
      h("a", { href: "#calls/list", id: "calls-clear" }, "Clear filters"),
    ),
  );
  const read = () => Object.fromEntries(FILTERS.map((name) => [name, form.elements[name].value]));
  const go = (filters) => {
    window.location.hash = listHref(filters);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go(read());
  });
  const status = h("p", { class: "muted", id: "calls-count", role: "status" }, "Loading…");
  const list = h("ul", { class: "calls", id: "calls-list", "aria-label": "Calls, newest first" });
  const more = h("button", { type: "button", class: "secondary", id: "calls-more", hidden: true }, "Show more");
  out.append(form, h("p", { class: "hint" }, `Times are in ${zoneLabel()}, your time zone.`), status, list, more);

  const params = FILTERS.filter((name) => current[name]).map((name) => `${name}=${encode(current[name])}`);
  let shown = 0;
  async function page(cursor) {
    const query = [...params, "limit=25", cursor ? `cursor=${encode(cursor)}` : null].filter(Boolean).join("&");
    let data;
    try {
      data = (await api("GET", `/calls?${query}`)).data;
    } catch (error) {
      status.className = "notice error";
      status.setAttribute("role", "alert");
      status.textContent = sentence(error.message);
      return;
    }
    for (const call of data.calls || []) list.append(callItem(call));
    shown += (data.calls || []).length;
    const filtered = params.length > 0;
    status.textContent = shown
      ? `${plural(shown, "call")} shown${data.next_cursor ? ", newest first; there are more" : ""}.`
      : filtered
        ? "No calls match these filters. Clear the filters to see every call."
        : "No calls yet. When someone calls or opens a widget, the call appears here.";
    more.hidden = !data.next_cursor;
    more.onclick = data.next_cursor ? () => page(data.next_cursor) : null;
  }
  clear(list);
  await page(null);
}
