// One call's story (#calls/<id>, GET /calls/{id}): when, where from, who, what answered it and why, and how it went,
// in sentences; times in the tenant's zone with the zone named.
import { api } from "./api.js";
import { h } from "./ui.js";
import { formatInZone, tenantZone } from "./time.js";
import { capitalized, duration, money, plural, sentence } from "./words.js";
import { answeredBy, listHref, origin } from "./call_list.js";

function row(label, ...value) {
  return [h("dt", {}, label), h("dd", {}, ...value)];
}

function outcomeWords(outcome) {
  if (!outcome) {
    return h("p", { id: "story-no-outcome" }, "No outcome yet: ThunderPhone reports how a call went after it ends. Check again in a few minutes.");
  }
  const bits = [];
  if (outcome.status) bits.push(capitalized(outcome.status));
  if (outcome.duration_seconds !== null && outcome.duration_seconds !== undefined) bits.push(`lasted ${duration(outcome.duration_seconds)}`);
  if (outcome.end_reason) bits.push(`ended by ${outcome.end_reason}`);
  if (outcome.billable_minutes !== null && outcome.billable_minutes !== undefined) bits.push(plural(outcome.billable_minutes, "billed minute"));
  if (outcome.cost_cents !== null && outcome.cost_cents !== undefined) bits.push(`cost ${money(outcome.cost_cents)}`);
  return h("p", { id: "story-outcome" }, `${bits.join(", ")}.`);
}

function gradeWords(grade) {
  if (!grade) return "Not graded yet.";
  const score = grade.score === null || grade.score === undefined ? "" : `${Math.round(grade.score)} out of 100`;
  const label = grade.label || grade.outcome;
  return `${[score, label].filter(Boolean).join(": ")}.`;
}

// The API's sentences: the first says which rule, the others (when there are any) each condition that held.
function why(lines) {
  if (!lines.length) return null;
  const [first, ...conditions] = lines;
  return h(
    "div",
    { id: "story-why" },
    h("p", {}, first),
    conditions.length ? h("ul", { "aria-label": "Conditions that held" }, conditions.map((line) => h("li", {}, line))) : null,
  );
}

export async function callStoryView(out, callId) {
  const back = h("p", {}, h("a", { href: listHref(), id: "story-back" }, "← Every call"));
  let call;
  try {
    call = (await api("GET", `/calls/${callId}`)).data;
  } catch (error) {
    out.append(
      back,
      h("p", { class: "notice error", role: "alert", id: "story-error" }, sentence(error.message)),
    );
    return;
  }
  const answered = call.answered
    ? call.fallback
      ? [h("p", { class: "warn", id: "story-fallback" }, call.fallback_reason)]
      : [
          h("p", { id: "story-answer" }, `${answeredBy(call)}.`),
          why(call.why || []),
          call.variant_words ? h("p", {}, call.variant_words) : null,
        ]
    : [h("p", {}, "Switchboard has no record of answering this call: ThunderPhone may have answered it with your key's or number's own agent.")];
  const profile = `'${call.profile_id}'${call.profile_version ? `, as saved in its version ${call.profile_version}` : ""}`;
  out.append(
    back,
    h("h3", { id: "story-title" }, `${call.channel === "web" ? "Web session" : "Phone call"} on ${formatInZone(call.at)}`),
    h(
      "dl",
      { class: "story", id: "story" },
      row("When", formatInZone(call.at, { seconds: true }), h("span", { class: "muted" }, ` (${tenantZone().replace(/_/g, " ")})`)),
      row("From", origin(call)),
      call.channel === "phone" ? row("Number called", call.number || "Not recorded") : row("Widget", call.widget_id ? `'${call.widget_id}'` : "None: your site's key"),
      row("Answer", ...answered),
      call.profile_id ? row("Profile", profile) : null,
      call.config_version ? row("Configuration", `Published version ${call.config_version}`) : null,
      call.profile_id
        ? row(
            "Up to date",
            call.stale
              ? "No: your configuration could not be read at that moment, so the last copy Switchboard had answered."
              : "Yes: answered with the configuration published at the time.",
          )
        : null,
      row("How it went", outcomeWords(call.outcome)),
      row("Grade", gradeWords(call.grade)),
    ),
    h("p", { class: "hint" }, `ThunderPhone's reference for this call: ${call.call_id}.`),
  );
}
