// Calls: the overview (#calls: sessions per day by channel, web sessions by widget, fallbacks by reason, minutes and
// cost, and A/B results per variant with the significance in words, GET /calls/report), every call (#calls/list,
// call_list.js) and one call's story (#calls/<id>, call_story.js). The overview's days are the tenant's.
import { api } from "./api.js";
import { COLORS, horizontalBars, stackedDaily } from "./charts.js";
import { clear, field, h } from "./ui.js";
import { callListView, listHref } from "./call_list.js";
import { callStoryView } from "./call_story.js";
import { zoneLabel } from "./time.js";
import { money, plural } from "./words.js";

// The router's fallback reasons, short enough for a chart's label (the call's story says each in full).
const REASONS = {
  unknown_tenant: "no active service",
  tenant_suspended: "suspended",
  unknown_number: "not your number",
  invalid_item: "invalid settings",
  no_profile: "missing profile",
  tool_secret_unavailable: "tool credential",
  invalid_answer: "invalid answer",
  malformed_payload: "unreadable request",
  store_unavailable: "settings unreadable",
  secrets_unavailable: "credentials unreadable",
  budget_exceeded: "too slow",
  internal_error: "unexpected error",
};

const pct = (rate) => (rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`);

function kpi(label, value, id) {
  return h("div", { class: "kpi", id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

function figure(chart, caption, table) {
  return h("figure", {}, chart, h("figcaption", {}, caption), table ? h("details", {}, h("summary", {}, "The numbers"), table) : null);
}

function table(headers, rows) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", { class: i ? "num" : "" }, x)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => h("td", { class: i ? "num" : "" }, cell))))),
  );
}

function significance(variant, baseline) {
  const comparison = variant.completion_vs_baseline;
  if (variant.variant === baseline) return "baseline";
  if (!comparison) return "not compared yet";
  const p = comparison.p_value;
  const words = comparison.significant ? "a real difference" : "could be chance";
  return `${words} (${comparison.test}, p = ${p === null || p === undefined ? "–" : Number(p).toPrecision(2)})`;
}

function experiment(exp) {
  const variants = exp.variants || [];
  const rows = variants.map((v) => ({
    label: `${v.variant}${v.variant === exp.baseline ? " (baseline)" : ""}`,
    value: v.completion_rate ?? 0,
    text: `${pct(v.completion_rate)} of ${plural(v.sessions, "session")}`,
    color: v.variant === exp.baseline ? COLORS.muted : COLORS.bar,
  }));
  return h(
    "section",
    { class: "card experiment", "data-rule": exp.rule_id, "aria-labelledby": `exp-${exp.rule_id}` },
    h("h3", { id: `exp-${exp.rule_id}` }, `A/B test: rule ${exp.rule_id}`),
    h("p", { class: "muted" }, `${plural(exp.sessions, "session")}; baseline variant ${exp.baseline}.`),
    variants.filter((v) => v.indication).map((v) => h("p", { class: "indication" }, v.indication)),
    figure(
      horizontalBars(rows, `Completion rate by variant, rule ${exp.rule_id}`, { max: 1 }),
      "Share of sessions that completed, per variant.",
      null,
    ),
    table(
      ["Variant", "Sessions", "Completed", "Avg grade", "Minutes", "Cost", "Completion vs baseline"],
      variants.map((v) => [
        v.variant,
        String(v.sessions),
        `${v.completed ?? 0} (${pct(v.completion_rate)})`,
        v.avg_grade === null || v.avg_grade === undefined ? "–" : Number(v.avg_grade).toFixed(2),
        (v.minutes ?? 0).toFixed(1),
        money(v.cost_cents),
        significance(v, exp.baseline),
      ]),
    ),
  );
}

// The Calls section's pages: "Overview" and "Every call" as tabs; a call's story under them.
function tabs(current) {
  const tab = (href, label, name) => h("li", {}, h("a", { href, "aria-current": current === name ? "page" : undefined }, label));
  return h("nav", { class: "tabs", "aria-label": "Calls pages" }, h("ul", {}, tab("#calls", "Overview", "overview"), tab(listHref(), "Every call", "list")));
}

export async function callsView(container) {
  const [, page] = (window.location.hash.split("?")[0] || "").split("/");
  container.append(h("h2", {}, "Calls"));
  if (page === "list") {
    container.append(tabs("list"));
    await callListView(container);
    return;
  }
  if (page) {
    container.append(tabs("story"));
    await callStoryView(container, encodeURIComponent(page));
    return;
  }
  container.append(tabs("overview"));
  const days = h("select", { name: "days", id: "report-days" }, [7, 14, 30, 90].map((d) => h("option", { value: String(d) }, `last ${d} days`)));
  const out = h("div", { id: "report", "aria-live": "polite" });
  const form = h("form", { class: "actions", "aria-label": "Report period" }, field("Period", days), h("button", { type: "submit" }, "Show"));
  container.append(form, out);

  async function load() {
    clear(out);
    out.append(h("p", { class: "muted" }, "Loading…"));
    let report;
    try {
      report = (await api("GET", `/calls/report?days=${days.value}`)).data;
    } catch (error) {
      clear(out);
      out.append(h("p", { class: "notice error", id: "report-error", role: "alert" }, error.message));
      return;
    }
    clear(out);
    const period = report.period || {};
    out.append(
      h("p", { class: "muted" }, `From ${period.start || "?"} to ${period.end || "?"}, days in ${zoneLabel()}. `, h("a", { href: listHref(), id: "see-every-call" }, "See every call")),
      h(
        "div",
        { class: "kpis" },
        kpi(report.sessions === 1 ? "session" : "sessions", String(report.sessions ?? 0), "kpi-sessions"),
        kpi("fell back to the static agent", pct(report.fallback_rate), "kpi-fallback"),
        kpi("minutes", (report.minutes ?? 0).toFixed(1), "kpi-minutes"),
        kpi("cost", money(report.cost_cents), "kpi-cost"),
      ),
    );
    const daily = report.daily || [];
    out.append(
      h(
        "section",
        { class: "card", "aria-labelledby": "daily-title" },
        h("h3", { id: "daily-title" }, "Sessions per day"),
        h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch web" }), "web"), h("span", {}, h("span", { class: "swatch phone" }), "phone")),
        figure(
          stackedDaily(daily, "Sessions per day by channel", { link: (day) => listHref({ day }) }),
          `${plural(report.by_channel?.web ?? 0, "web session")} and ${plural(report.by_channel?.phone ?? 0, "phone call")}. Choose a day to see its calls.`,
          table(["Day", "Web", "Phone", "Fell back"], daily.map((d) => [h("a", { href: listHref({ day: d.day }) }, d.day), String(d.web ?? 0), String(d.phone ?? 0), String(d.fallbacks ?? 0)])),
        ),
      ),
    );
    const widgets = Object.entries(report.by_widget || {}).sort((a, b) => b[1] - a[1]);
    const reasons = report.fallback_by_reason || [];
    out.append(
      h(
        "div",
        { class: "cols" },
        h(
          "section",
          { class: "card", "aria-labelledby": "widget-title" },
          h("h3", { id: "widget-title" }, "Web sessions by widget"),
          widgets.length
            ? figure(horizontalBars(widgets.map(([label, value]) => ({ label: label === "(none)" ? "no widget" : label, value, text: plural(value, "session") })), "Web sessions by widget", { width: 420 }), "Web sessions started from each widget.", null)
            : h("p", { class: "muted" }, "No web sessions."),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "fallback-title" },
          h("h3", { id: "fallback-title" }, "Fallbacks by reason"),
          reasons.length
            ? figure(
                horizontalBars(reasons.map((r) => ({ label: REASONS[r.reason] || r.reason.replace(/_/g, " "), value: r.rate, text: `${r.count} (${pct(r.rate)})` })), "Fallback rate by reason", { color: COLORS.fallback, width: 420 }),
                `${report.fallbacks ?? 0} of ${plural(report.decided ?? report.sessions ?? 0, "call")} fell back to ThunderPhone's own agent.`,
                null,
              )
            : h("p", { class: "ok" }, "No call fell back."),
        ),
      ),
    );
    const experiments = report.experiments || [];
    out.append(h("h3", {}, "A/B tests"));
    if (!experiments.length) out.append(h("p", { class: "muted" }, "No A/B test had sessions in this period."));
    for (const exp of experiments) out.append(experiment(exp));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}
