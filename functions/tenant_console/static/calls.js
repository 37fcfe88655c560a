// Calls: sessions per day by channel and widget, fallbacks by reason, minutes and cost, and A/B results per variant
// with the significance in words (GET /calls/report).
import { api } from "./api.js";
import { COLORS, horizontalBars, stackedDaily } from "./charts.js";
import { clear, field, h } from "./ui.js";

const pct = (rate) => (rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`);
const money = (cents) => `$${((cents || 0) / 100).toFixed(2)}`;

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
    text: `${pct(v.completion_rate)} of ${v.sessions}`,
    color: v.variant === exp.baseline ? COLORS.muted : COLORS.bar,
  }));
  return h(
    "section",
    { class: "card experiment", "data-rule": exp.rule_id, "aria-labelledby": `exp-${exp.rule_id}` },
    h("h3", { id: `exp-${exp.rule_id}` }, `A/B test: rule ${exp.rule_id}`),
    h("p", { class: "muted" }, `${exp.sessions} sessions; baseline variant ${exp.baseline}.`),
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

export async function callsView(container) {
  container.append(h("h2", {}, "Calls"));
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
      h("p", { class: "muted" }, `From ${period.start || "?"} to ${period.end || "?"}.`),
      h(
        "div",
        { class: "kpis" },
        kpi("sessions", String(report.sessions ?? 0), "kpi-sessions"),
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
          stackedDaily(daily, "Sessions per day by channel"),
          `${report.by_channel?.web ?? 0} web and ${report.by_channel?.phone ?? 0} phone sessions.`,
          table(["Day", "Web", "Phone", "Fell back"], daily.map((d) => [d.day, String(d.web ?? 0), String(d.phone ?? 0), String(d.fallbacks ?? 0)])),
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
            ? figure(horizontalBars(widgets.map(([label, value]) => ({ label: label === "(none)" ? "no widget (key)" : label, value })), "Web sessions by widget", { width: 420 }), "Sessions started from each widget.", null)
            : h("p", { class: "muted" }, "No widget sessions."),
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "fallback-title" },
          h("h3", { id: "fallback-title" }, "Fallbacks by reason"),
          reasons.length
            ? figure(
                horizontalBars(reasons.map((r) => ({ label: r.reason, value: r.rate, text: `${r.count} (${pct(r.rate)})` })), "Fallback rate by reason", { color: COLORS.fallback, width: 420 }),
                `${report.fallbacks ?? 0} of ${report.decided ?? report.sessions ?? 0} decided calls fell back to ThunderPhone's static agent.`,
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
