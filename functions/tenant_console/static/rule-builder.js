// The rule builder: a rule's conditions as named controls, its answer (one profile or an A/B test), and a sentence
// that reads it back ("Phone calls outside opening hours → after-hours"). No JSON: every field has a control, and
// what the model accepts (functions/tenant_config/models.py RoutingRule) is checked again by the API on save.
import { append, clear, field, h, nextId } from "./ui.js";
import { E164, ID_PATTERN, PREFIX } from "./words.js";

const or = (items) => (items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`);

// A rule in one sentence, as the router reads it (all conditions must hold; a list holds when any entry matches).
export function readBack(rule) {
  const when = rule.when || {};
  const parts = [];
  let subject = when.channel === "phone" ? "Phone calls" : when.channel === "web" ? "Website voice sessions" : "Calls";
  if ((when.widget_ids || []).length) parts.push(`from the ${or(when.widget_ids)} ${when.widget_ids.length === 1 ? "widget" : "widgets"}`);
  if ((when.to_numbers || []).length) parts.push(`to ${or(when.to_numbers)}`);
  if ((when.caller_numbers || []).length) parts.push(`from ${or(when.caller_numbers)}`);
  if ((when.caller_prefixes || []).length) parts.push(`from numbers starting ${or(when.caller_prefixes)}`);
  if (when.customer === "known") parts.push("from known customers");
  if (when.customer === "unknown") parts.push("from callers who are not customers");
  if ((when.segments || []).length) parts.push(`from customers in the ${or(when.segments)} ${when.segments.length === 1 ? "segment" : "segments"}`);
  if (when.schedule === "business_hours") parts.push("during opening hours");
  if (when.schedule === "after_hours") parts.push("outside opening hours");
  if (!parts.length && subject === "Calls") subject = "Every call";
  const variants = rule.variants || [];
  let target = rule.profile_id || "?";
  if (variants.length) {
    const total = variants.reduce((sum, v) => sum + (Number(v.weight) || 0), 0) || 1;
    target = `A/B test: ${variants.map((v) => `${v.name} ${v.profile_id} ${Math.round((100 * (Number(v.weight) || 0)) / total)}%`).join(", ")}`;
    if (rule.bucket_by === "caller") target += " (a returning caller keeps the same greeting)";
  }
  return `${[subject, ...parts].join(" ")} → ${target}`;
}

function radios(name, legend, options, value, onChange) {
  const group = h("fieldset", { "data-field": name }, h("legend", {}, legend));
  const row = h("div", { class: "choices" });
  for (const [optionValue, label] of options) {
    const input = h("input", { type: "radio", name, value: optionValue, checked: optionValue === value });
    input.addEventListener("change", onChange);
    row.append(h("label", {}, input, label));
  }
  group.append(row, h("p", { class: "field-error", hidden: true }));
  return group;
}

// Checkboxes for what the tenant has, plus a box to add another (checked) value, validated by `valid`.
function picks(name, legend, hint, known, chosen, { valid, addLabel, problem, onChange }) {
  const group = h("fieldset", { "data-field": name }, h("legend", {}, legend), hint ? h("p", { class: "hint" }, hint) : null);
  const row = h("div", { class: "choices" });
  const add = (value, checked) => {
    if (row.querySelector(`input[value="${CSS.escape(value)}"]`)) {
      row.querySelector(`input[value="${CSS.escape(value)}"]`).checked = true;
      return;
    }
    const input = h("input", { type: "checkbox", name, value, checked });
    input.addEventListener("change", onChange);
    row.append(h("label", {}, input, value));
  };
  for (const value of [...new Set([...known, ...chosen])].sort()) add(value, chosen.includes(value));
  group.append(row);
  if (addLabel) {
    const id = nextId(name);
    const other = h("input", { id, "aria-label": addLabel, autocomplete: "off", spellcheck: "false" });
    const error = h("p", { class: "field-error", hidden: true });
    const button = h("button", { type: "button", class: "secondary", onclick: () => {
      const value = other.value.trim();
      if (!valid(value)) {
        error.textContent = problem(value);
        error.hidden = false;
        other.setAttribute("aria-invalid", "true");
        other.focus();
        return;
      }
      error.hidden = true;
      other.removeAttribute("aria-invalid");
      add(value, true);
      other.value = "";
      onChange();
    } }, "Add");
    group.append(h("div", { class: "range" }, other, button), error);
  }
  if (!known.length && !addLabel) group.append(h("p", { class: "muted" }, "None yet."));
  group.append(h("p", { class: "field-error", hidden: true }));
  return group;
}

const checked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
const chosen = (form, name) => (form.querySelector(`input[name="${name}"]:checked`) || {}).value || "";

function listOf(text) {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

// The builder as a form; `collect()` gives { rule, problems } (problems: [[field name, sentence]]).
export function ruleBuilder({ rule, creating, profiles, widgets, numbers, segments, rules }) {
  const when = rule.when || {};
  const form = h("form", { class: "rule-editor", novalidate: true, "aria-label": creating ? "New rule" : `Edit rule ${rule.rule_id}` });
  const sentence = h("p", { class: "readback", id: nextId("readback"), "aria-live": "polite" });
  const update = () => {
    const { rule: current } = collect();
    sentence.textContent = readBack(current);
    const web = chosen(form, "channel") === "web";
    for (const input of form.querySelectorAll('input[name="bucket_by"][value="caller"]')) input.disabled = web;
    variantsBox.hidden = chosen(form, "answer") !== "ab";
    singleBox.hidden = chosen(form, "answer") === "ab";
  };
  const idInput = creating ? h("input", { name: "rule_id", autocomplete: "off", spellcheck: "false", placeholder: "e.g. pricing-visitors" }) : null;
  const description = h("input", { name: "description", value: rule.description || "" });
  const position = creating
    ? h("select", { name: "priority" }, h("option", { value: "first" }, "First: before every other rule"), rules.map((r) => h("option", { value: `after:${r.rule_id}` }, `After ${r.rule_id}`)))
    : null;
  if (position && rules.length) position.value = `after:${rules[rules.length - 1].rule_id}`;
  const callerPrefixes = h("input", { name: "caller_prefixes", value: (when.caller_prefixes || []).join(", "), placeholder: "e.g. +44, +1212", spellcheck: "false" });
  const callerNumbers = h("input", { name: "caller_numbers", value: (when.caller_numbers || []).join(", "), placeholder: "e.g. +14155550100", spellcheck: "false" });
  for (const input of [callerPrefixes, callerNumbers, description]) input.addEventListener("input", update);
  if (idInput) idInput.addEventListener("input", update);

  const profileSelect = (value, name, label) => {
    const select = h("select", { name, "aria-label": label }, profiles.map((p) => h("option", { value: p, selected: p === value }, p)));
    select.addEventListener("change", update);
    return select;
  };
  const single = profileSelect(rule.profile_id || profiles[0], "profile_id");
  const singleBox = h("div", {}, field("Answer with profile", single));
  const variantsBody = h("tbody");
  const addVariant = (variant) => {
    const name = h("input", { name: "variant-name", value: variant.name, "aria-label": "Variant name", size: 6 });
    const weight = h("input", { name: "variant-weight", type: "number", min: "0", max: "10000", value: String(variant.weight), "aria-label": `Weight of variant ${variant.name}` });
    name.addEventListener("input", () => { weight.setAttribute("aria-label", `Weight of variant ${name.value.trim()}`); update(); });
    weight.addEventListener("input", update);
    const row = h("tr", {}, h("td", {}, name), h("td", {}, profileSelect(variant.profile_id, "variant-profile", "Variant profile")), h("td", {}, weight),
      h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove variant ${variant.name}`, onclick: () => { row.remove(); update(); } }, "Remove")));
    variantsBody.append(row);
  };
  (rule.variants || []).forEach(addVariant);
  const variantsBox = h(
    "div",
    { "data-field": "variants" },
    h("p", { class: "hint" }, "Calls are shared out by weight: 50 and 50 is half each; 80 and 20 sends four in five to the first."),
    h("table", { class: "variants" }, h("thead", {}, h("tr", {}, h("th", {}, "Variant"), h("th", {}, "Profile"), h("th", {}, "Weight"), h("th", {}, ""))), variantsBody),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => { addVariant({ name: String.fromCharCode(65 + variantsBody.children.length), profile_id: profiles[0], weight: 50 }); update(); } }, "Add a variant")),
    radios("bucket_by", "Who gets which variant", [["call_id", "Choose for each call on its own"], ["caller", "Keep a returning caller on the same greeting (phone calls only)"]], rule.bucket_by || "call_id", update),
    h("p", { class: "field-error", hidden: true }),
  );

  const message = h("div", { hidden: true, class: "builder-message" });
  const conflict = h("div");
  append(form, [
    idInput ? field("Rule name", idInput, "letters, digits and hyphens, e.g. pricing-visitors") : null,
    field("Description", description, "optional: why this rule exists"),
    position ? field("Checked", position, "the first rule that fits a call answers it") : null,
    h("h4", {}, "Which calls"),
    radios("channel", "Kind of call", [["", "Any"], ["phone", "Phone calls"], ["web", "Website voice sessions"]], when.channel || "", update),
    picks("widget_ids", "Website widgets", "Only sessions started from these widgets (none ticked: any widget).", widgets, when.widget_ids || [], {
      addLabel: "Another widget's name", valid: (v) => ID_PATTERN.test(v), problem: (v) => `'${v}' is not a widget name: letters, digits, '-', '_' or '.', up to 64`, onChange: update,
    }),
    picks("to_numbers", "Numbers called", numbers.length ? "Only calls to these numbers (none ticked: any of your numbers)." : "You have no phone numbers yet: your operator adds them.", numbers, when.to_numbers || [], { onChange: update }),
    field("Callers whose number starts with", callerPrefixes, "comma separated, with the country code, e.g. +44"),
    field("Particular callers", callerNumbers, "comma separated full numbers, e.g. +14155550100"),
    radios("customer", "Customers", [["", "Anyone"], ["known", "Known customers only"], ["unknown", "Only callers who are not customers"]], when.customer || "", update),
    picks("segments", "Customer segments", "Only customers in these segments (none ticked: any).", segments, when.segments || [], {
      addLabel: "Another segment", valid: (v) => v.length >= 1 && v.length <= 64, problem: () => "a segment is 1 to 64 characters", onChange: update,
    }),
    radios("schedule", "Opening hours", [["", "Any time"], ["business_hours", "During opening hours"], ["after_hours", "Outside opening hours"]], when.schedule || "", update),
    h("h4", {}, "Answer"),
    radios("answer", "Answer with", [["one", "One profile"], ["ab", "An A/B test between profiles"]], (rule.variants || []).length ? "ab" : "one", () => {
      if (chosen(form, "answer") === "ab" && !variantsBody.children.length) {
        addVariant({ name: "A", profile_id: single.value, weight: 50 });
        addVariant({ name: "B", profile_id: profiles.find((p) => p !== single.value) || single.value, weight: 50 });
      }
      update();
    }),
    singleBox,
    variantsBox,
    h("div", { class: "card" }, h("p", { class: "hint" }, "This rule reads:"), sentence),
    message,
    conflict,
  ]);

  function collect() {
    const problems = [];
    const out = { ...rule };
    delete out.version; delete out.updated_at; delete out.updated_by;
    if (creating) out.rule_id = idInput.value.trim();
    out.description = description.value.trim() || null;
    const prefixes = listOf(callerPrefixes.value);
    const callers = listOf(callerNumbers.value);
    for (const p of prefixes) if (!PREFIX.test(p)) problems.push(["caller_prefixes", `'${p}' is not a number start: write + and digits, e.g. +44`]);
    for (const n of callers) if (!E164.test(n)) problems.push(["caller_numbers", `'${n}' is not a full number: write + and the country code, e.g. +14155550100`]);
    out.when = {
      channel: chosen(form, "channel") || null,
      widget_ids: checked(form, "widget_ids"),
      to_numbers: checked(form, "to_numbers"),
      caller_numbers: callers,
      caller_prefixes: prefixes,
      customer: chosen(form, "customer") || null,
      segments: checked(form, "segments"),
      schedule: chosen(form, "schedule") || null,
    };
    if (out.when.channel === "phone" && out.when.widget_ids.length) problems.push(["widget_ids", "widgets only start website sessions: untick them, or choose \u201cAny\u201d or \u201cWebsite voice sessions\u201d"]);
    if (out.when.channel === "web" && (out.when.to_numbers.length || prefixes.length || callers.length)) problems.push(["channel", "website sessions have no phone numbers: clear the numbers, or choose \u201cPhone calls\u201d"]);
    if (chosen(form, "answer") === "ab") {
      out.variants = [...variantsBody.querySelectorAll("tr")].map((tr) => ({
        name: tr.querySelector('[name="variant-name"]').value.trim(),
        profile_id: tr.querySelector('[name="variant-profile"]').value,
        weight: Number(tr.querySelector('[name="variant-weight"]').value),
      }));
      out.profile_id = null;
      out.bucket_by = chosen(form, "bucket_by") || "call_id";
      if (out.when.channel === "web") out.bucket_by = "call_id";
      if (out.variants.length < 2) problems.push(["variants", "an A/B test needs at least two variants"]);
      if (out.variants.some((v) => !ID_PATTERN.test(v.name))) problems.push(["variants", "give every variant a short name, e.g. A or B"]);
      if (new Set(out.variants.map((v) => v.name)).size !== out.variants.length) problems.push(["variants", "give each variant its own name"]);
      if (out.variants.some((v) => !Number.isInteger(v.weight) || v.weight < 0 || v.weight > 10000)) problems.push(["variants", "weights are whole numbers from 0 to 10000"]);
      else if (out.variants.reduce((s, v) => s + v.weight, 0) <= 0) problems.push(["variants", "at least one variant needs a weight above 0"]);
    } else {
      out.variants = [];
      out.profile_id = single.value;
      out.bucket_by = "call_id";
    }
    if (creating && !ID_PATTERN.test(out.rule_id)) problems.push(["rule_id", "give the rule a name: letters, digits and hyphens, e.g. pricing-visitors"]);
    if (creating && rules.some((r) => r.rule_id === out.rule_id)) problems.push(["rule_id", `there is already a rule named '${out.rule_id}': choose another name`]);
    if (creating) out.priority = priorityFor(position.value, rules);
    return { rule: out, problems };
  }

  update();
  return { form, collect, message, conflict, focus: () => (idInput || description).focus() };
}

// A priority for a new rule placed first or right after another (ties are broken by name, as the router does).
function priorityFor(choice, rules) {
  const sorted = [...rules].sort((a, b) => a.priority - b.priority || (a.rule_id < b.rule_id ? -1 : 1));
  if (choice === "first" || !sorted.length) return sorted.length ? Math.max(0, sorted[0].priority - 10) : 10;
  const index = sorted.findIndex((r) => `after:${r.rule_id}` === choice);
  const before = sorted[index];
  const next = sorted[index + 1];
  if (!next) return Math.min(1000000, before.priority + 10);
  return next.priority - before.priority > 1 ? Math.floor((before.priority + next.priority) / 2) : before.priority;
}

// Put the builder's problems (or the API's `fields`) beside their controls; returns those with no control.
export function showBuilderProblems(form, problems) {
  for (const note of form.querySelectorAll(".field-error")) { note.hidden = true; note.textContent = ""; }
  const leftovers = [];
  const byField = new Map();
  for (const [name, text] of problems) {
    const key = String(name).replace(/^body\./, "").replace(/^when\./, "").split(".")[0];
    const box = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!box) { leftovers.push(text); continue; }
    byField.set(box, [...(byField.get(box) || []), text]);
  }
  let first = null;
  for (const [box, texts] of byField) {
    const notes = box.querySelectorAll(":scope > .field-error");
    const note = notes[notes.length - 1];
    note.textContent = texts.map((t) => t.charAt(0).toUpperCase() + t.slice(1)).join(". ");
    note.hidden = false;
    first = first || box.querySelector("input, select");
  }
  if (first) first.focus();
  return leftovers;
}
