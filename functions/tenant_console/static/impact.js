// The draft's impact on recent calls, in words: how many callers would hear something different and in which
// part of the answer, which calls another rule or profile would answer, and one call's prompt before and after.
import { formatInZone } from "./time.js";
import { h } from "./ui.js";
import { plural } from "./words.js";

// "prompt changed for 4, voice for 1"
export function partsSentence(byPart) {
  const parts = Object.entries(byPart || {}).map(([part, count]) => `${part} for ${count}`);
  if (!parts.length) return "";
  parts[0] = parts[0].replace(" for ", " changed for ");
  return parts.join(", ");
}

export function heardSentence(data) {
  const checked = data.calls_checked;
  const heard = data.heard_differently || 0;
  const period = `the last ${plural(data.days, "day")}`;
  if (!checked) return `There were no calls in ${period} to replay.`;
  const parts = partsSentence(data.heard_by_part);
  if (checked === 1) {
    return heard ? `The one call of ${period} would hear something different: ${parts}.` : `The one call of ${period} would hear the same as today.`;
  }
  if (!heard) return `None of the last ${checked} calls would hear anything different.`;
  return `${heard} of the last ${checked} calls would hear something different: ${parts}.`;
}

export function routingSentence(data) {
  const moved = data.routing_changed || 0;
  if (!data.calls_checked) return "";
  if (!moved) return "Every call would still be answered by the same rule and profile.";
  return `${plural(moved, "call")} would be answered by another rule or profile:`;
}

// "Web session on the pricing widget, Tue, Dec 1, 2026, 10:42 AM EST": the time in the tenant's zone (time.js).
export function callWords(call) {
  const what = call.channel === "web" ? `Web session${call.widget_id ? ` on the ${call.widget_id} widget` : ""}` : "Phone call";
  const when = formatInZone(call.local_time);
  return when ? `${what}, ${when}` : what;
}

export function routeWords(route) {
  if (!route) return "";
  if (route.outcome !== "config") return "no answer from Switchboard: the number's own agent answers";
  const rule = route.rule_id ? `rule “${route.rule_id}”` : "no rule (the default profile)";
  const variant = route.variant ? `, variant ${route.variant}` : "";
  return `${rule}${variant} → profile “${route.profile_id}”`;
}

// A word-by-word difference (longest common subsequence over words, each with the spaces after it, so that
// spaces alone never match); a very long pair falls back to the whole text removed and added.
export function wordDiff(before, after) {
  const a = (before || "").match(/\S+\s*|\s+/g) || [];
  const b = (after || "").match(/\S+\s*|\s+/g) || [];
  const n = a.length;
  const m = b.length;
  if (n * m > 400000) return [["del", before || ""], ["add", after || ""]];
  const table = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  const push = (kind, text) => {
    const last = out[out.length - 1];
    if (last && last[0] === kind) last[1] += text;
    else out.push([kind, text]);
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      push("same", a[i]);
      i += 1;
      j += 1;
    } else if (table[i + 1][j] >= table[i][j + 1]) push("del", a[i++]);
    else push("add", b[j++]);
  }
  while (i < n) push("del", a[i++]);
  while (j < m) push("add", b[j++]);
  return out;
}

function wordDiffView(before, after) {
  return h(
    "p",
    { class: "word-diff prompt-out", id: "impact-diff", "aria-label": "The prompt's changes: removed words struck through, added words underlined" },
    wordDiff(before, after).map(([kind, text]) => {
      if (kind === "same") return text;
      const said = h("span", { class: "visually-hidden" }, kind === "add" ? " [added: " : " [removed: ");
      return [said, h(kind === "add" ? "ins" : "del", {}, text), h("span", { class: "visually-hidden" }, "] ")];
    }),
  );
}

function sampleView(sample) {
  const who = callWords(sample);
  const same = sample.live_prompt === sample.draft_prompt;
  const box = h(
    "div",
    { id: "impact-sample" },
    h("h4", {}, `For example: ${who}`),
    same
      ? h("p", { class: "muted" }, `Its prompt stays the same; what changes is its ${sample.heard.join(", ")}.`)
      : h("p", { class: "muted" }, "What the agent is told, today and with the draft (removed words struck through, added words underlined):"),
  );
  if (!same) box.append(wordDiffView(sample.live_prompt || "", sample.draft_prompt || ""));
  box.append(
    h(
      "details",
      { open: same ? true : null },
      h("summary", {}, same ? "The prompt" : "Show both prompts in full"),
      h(
        "div",
        { class: "cols" },
        h("div", {}, h("h5", {}, "Today"), h("p", { class: "prompt-out", id: "impact-before" }, sample.live_prompt ?? "No prompt: the number's own agent answers.")),
        same ? null : h("div", {}, h("h5", {}, "With the draft"), h("p", { class: "prompt-out", id: "impact-after" }, sample.draft_prompt ?? "No prompt: the number's own agent answers.")),
      ),
    ),
  );
  return box;
}

// The whole impact panel's content, from GET /draft/impact's answer.
export function impactView(data) {
  const out = [h("p", { class: "indication", id: "impact-heard" }, heardSentence(data))];
  if (data.truncated) out.push(h("p", { class: "muted" }, `Only ${plural(data.calls_checked, "call")} of the period were replayed.`));
  const routed = (data.changed || []).filter((call) => call.routing_changed);
  const routing = routingSentence(data);
  if (routing) out.push(h("p", { id: "impact-routing" }, routing));
  if (routed.length) {
    out.push(
      h(
        "ul",
        { class: "changes", id: "impact-routed", "aria-label": "Calls another rule or profile would answer" },
        routed.slice(0, 20).map((call) =>
          h("li", {}, h("strong", {}, callWords(call)), h("br"), `Today: ${routeWords(call.live)}`, h("br"), `With the draft: ${routeWords(call.draft)}`),
        ),
      ),
    );
    if (routed.length > 20) out.push(h("p", { class: "muted" }, `…and ${plural(routed.length - 20, "more call")}.`));
  }
  if (data.sample) out.push(sampleView(data.sample));
  return out;
}
