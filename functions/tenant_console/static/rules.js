// Rules in evaluation order: the first enabled rule (by priority, then id) whose conditions hold answers.
// Reorder (swap priorities), enable/disable, add, delete (after a confirmation), and edit with the rule builder.
import { api, ApiError, encode, withoutBookkeeping as bodyOf } from "./api.js";
import { announce, clear, formatTime, h, showMessage } from "./ui.js";
import { readBack, ruleBuilder, showBuilderProblems } from "./rule-builder.js";
import { confirmDelete, plural, refusal, sentence } from "./words.js";

function byOrder(a, b) {
  return a.priority - b.priority || (a.rule_id < b.rule_id ? -1 : 1);
}

export async function rulesView(container, { me }) {
  container.append(h("h2", {}, "Rules"), h("p", { class: "hint" }, "Evaluated top to bottom: the first enabled rule whose conditions all hold chooses the profile (or the A/B variant)."));
  const status = h("div", { id: "rules-message", hidden: true });
  const listBox = h("ol", { class: "list", id: "rules-list", "aria-label": "Rules in evaluation order" });
  container.append(status, listBox);
  const newBox = h("div", { id: "new-rule" });
  const newActions = h("div", { class: "actions" });
  if (me.canEdit) container.append(newActions, newBox);
  let rules = [];
  let profiles = [];
  // What the pickers offer: the tenant's numbers (settings), widgets its rules name or its calls came from, and
  // segments its rules and customers use. Nothing here reads another tenant's items or the operator's key records.
  const known = { numbers: [], widgets: new Set(), segments: new Set() };
  const choices = () => ({
    rules,
    numbers: known.numbers,
    widgets: [...new Set([...known.widgets, ...rules.flatMap((r) => (r.when && r.when.widget_ids) || [])])],
    segments: [...new Set([...known.segments, ...rules.flatMap((r) => (r.when && r.when.segments) || [])])],
  });
  const [settingsRead, reportRead, customersRead] = await Promise.allSettled([
    api("GET", "/settings"),
    api("GET", "/calls/report?days=90"),
    api("GET", "/customers?limit=500"),
  ]);
  if (settingsRead.status === "fulfilled") known.numbers = settingsRead.value.data.phone_numbers || [];
  if (reportRead.status === "fulfilled") for (const w of Object.keys(reportRead.value.data.by_widget || {})) if (w !== "(none)") known.widgets.add(w);
  if (customersRead.status === "fulfilled") for (const c of customersRead.value.data.items || []) if (c.segment) known.segments.add(c.segment);

  async function reload(focusId) {
    try {
      const [r, p] = await Promise.all([api("GET", "/rules"), api("GET", "/profiles")]);
      rules = r.data.items.sort(byOrder);
      profiles = p.data.items.map((x) => x.profile_id);
    } catch (error) {
      showMessage(status, refusal(error, "the rules"), "error");
      return;
    }
    draw();
    if (focusId) {
      const target = listBox.querySelector(`[data-focus="${CSS.escape(focusId)}"]`);
      if (target) target.focus();
    }
  }

  async function put(rule, body, version = rule.version) {
    const { data } = await api("PUT", `/rules/${encode(rule.rule_id)}`, { body, ifMatch: version });
    return data;
  }

  async function guarded(action, success, focusId) {
    showMessage(status, "");
    let failure = null;
    try {
      await action();
    } catch (error) {
      failure = error;
    }
    await reload(focusId); // the message comes once the list shows what it says
    if (failure === null) {
      announce(success);
      showMessage(status, success);
    } else {
      const stale = failure instanceof ApiError && failure.status === 412;
      showMessage(status, stale ? "Someone else changed this rule meanwhile. The list now shows their version: try again." : refusal(failure, "this rule"), "error");
    }
  }

  async function move(index, delta) {
    const rule = rules[index];
    const other = rules[index + delta];
    if (!other) return;
    let a = other.priority;
    let b = rule.priority;
    if (a === b) {
      a = delta < 0 ? Math.max(0, b - 1) : b + 1;
    }
    await guarded(
      async () => {
        await put(rule, { ...bodyOf(rule), priority: a });
        if (other.priority !== b) await put(other, { ...bodyOf(other), priority: b });
      },
      `Rule ${rule.rule_id} moved ${delta < 0 ? "up" : "down"} (not live until published)`,
      `${delta < 0 ? "up" : "down"}:${rule.rule_id}`,
    );
  }

  function draw() {
    clear(listBox);
    rules.forEach((rule, index) => {
      const controls = me.canEdit
        ? h(
            "div",
            { class: "actions" },
            h("button", { type: "button", class: "secondary", "data-focus": `up:${rule.rule_id}`, disabled: index === 0, "aria-label": `Move ${rule.rule_id} up`, onclick: () => move(index, -1) }, "↑ Up"),
            h("button", { type: "button", class: "secondary", "data-focus": `down:${rule.rule_id}`, disabled: index === rules.length - 1, "aria-label": `Move ${rule.rule_id} down`, onclick: () => move(index, 1) }, "↓ Down"),
            h(
              "button",
              {
                type: "button",
                class: "secondary",
                "data-focus": `toggle:${rule.rule_id}`,
                "aria-label": `${rule.enabled ? "Disable" : "Enable"} ${rule.rule_id}`,
                onclick: () => guarded(() => put(rule, { ...bodyOf(rule), enabled: !rule.enabled }), `Rule ${rule.rule_id} ${rule.enabled ? "disabled" : "enabled"} in the draft`, `toggle:${rule.rule_id}`),
              },
              rule.enabled ? "Disable" : "Enable",
            ),
            h("button", { type: "button", "data-focus": `edit:${rule.rule_id}`, "aria-label": `Edit ${rule.rule_id}`, onclick: (event) => edit(rule, event.target.closest("li")) }, "Edit"),
            h("button", { type: "button", class: "secondary", "data-focus": `delete:${rule.rule_id}`, "aria-label": `Delete ${rule.rule_id}`, onclick: (event) => remove(rule, event.target.closest("li")) }, "Delete"),
          )
        : null;
      listBox.append(
        h(
          "li",
          { class: "card", "data-rule": rule.rule_id },
          h(
            "div",
            { class: "rule-row" },
            h("span", { class: "prio", title: "priority" }, `#${index + 1}`),
            h(
              "div",
              {},
              h("strong", {}, rule.rule_id),
              h("span", { class: `badge ${rule.enabled ? "" : "off"}` }, rule.enabled ? "enabled" : "disabled"),
              rule.description ? h("div", { class: "muted" }, rule.description) : null,
              h("div", { class: "rule-sentence" }, readBack(rule)),
            ),
            controls,
          ),
          h("div", { class: "confirm-host" }),
        ),
      );
    });
    if (!rules.length) listBox.append(h("li", { class: "muted" }, "No rules: every call gets the default profile."));
  }

  function edit(rule, row) {
    const existing = row.querySelector("form");
    if (existing) {
      existing.remove();
      return;
    }
    const builder = ruleBuilder({ rule, creating: false, profiles, ...choices() });
    const { form, message, conflict } = builder;
    form.append(h("div", { class: "actions" }, h("button", { type: "submit" }, "Save rule to draft"), h("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Cancel")));

    async function save(body, version) {
      showBuilderProblems(form, []);
      showMessage(message, "");
      clear(conflict);
      try {
        await put(rule, body, version);
        await reload(`edit:${rule.rule_id}`);
        announce(`Rule ${rule.rule_id} saved to the draft`);
        showMessage(status, `Rule ${rule.rule_id} saved to the draft. Callers get it when the draft is published.`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 412 && error.body.current) {
          const theirs = error.body.current;
          conflict.append(
            h(
              "div",
              { class: "card conflict", tabindex: "-1", role: "group", "aria-label": "Conflicting change" },
              h("p", {}, `Someone else saved this rule while you edited${theirs.updated_at ? ` (${formatTime(theirs.updated_at)})` : ""}. Nothing of yours was saved yet.`),
              h("div", { class: "cols" },
                h("div", { class: "side mine" }, h("h4", {}, "Your change"), h("p", { class: "conflict-mine" }, readBack(body))),
                h("div", { class: "side theirs" }, h("h4", {}, "Their version"), h("p", { class: "conflict-theirs" }, readBack(theirs)))),
              h("div", { class: "actions" },
                h("button", { type: "button", onclick: () => save(body, theirs.version) }, "Keep mine"),
                h("button", { type: "button", class: "secondary", onclick: () => reload(`edit:${rule.rule_id}`) }, "Take theirs")),
            ),
          );
          conflict.firstChild.focus();
        } else {
          const leftovers = showBuilderProblems(form, Object.entries(error.fields || {}).flatMap(([k, v]) => [].concat(v).map((t) => [k, t])));
          showMessage(message, [refusal(error, `rule '${rule.rule_id}'`), ...leftovers.map(sentence)].join(" "), "error");
        }
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const { rule: body, problems } = builder.collect();
      if (problems.length) {
        const leftovers = showBuilderProblems(form, problems);
        showMessage(message, `${plural(problems.length, "thing")} to fix: ${problems.map(([, t]) => sentence(t)).join(" ")}${leftovers.length ? "" : ""}`, "error");
        return;
      }
      save(body, rule.version);
    });
    row.append(form);
    builder.focus();
  }

  // A new rule, built from named controls; placed first or after a chosen rule.
  function create() {
    clear(newBox);
    const builder = ruleBuilder({ rule: { when: {}, profile_id: profiles[0], variants: [], bucket_by: "call_id", enabled: true }, creating: true, profiles, ...choices() });
    const { form, message } = builder;
    form.classList.add("card");
    form.prepend(h("h3", {}, "New rule"));
    form.append(h("div", { class: "actions" }, h("button", { type: "submit", id: "rule-create" }, "Add rule to draft"), h("button", { type: "button", class: "secondary", onclick: () => clear(newBox) }, "Cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { rule: body, problems } = builder.collect();
      if (problems.length) {
        showBuilderProblems(form, problems);
        showMessage(message, `${plural(problems.length, "thing")} to fix: ${problems.map(([, t]) => sentence(t)).join(" ")}`, "error");
        return;
      }
      try {
        await api("PUT", `/rules/${encode(body.rule_id)}`, { body, create: true });
      } catch (error) {
        const leftovers = showBuilderProblems(form, Object.entries(error.fields || {}).flatMap(([k, v]) => [].concat(v).map((t) => [k, t])));
        showMessage(message, [refusal(error, `a rule named '${body.rule_id}'`), ...leftovers.map(sentence)].join(" "), "error");
        return;
      }
      clear(newBox);
      await reload(`edit:${body.rule_id}`); // the message comes once the list shows the new rule
      announce(`Rule ${body.rule_id} added to the draft`);
      showMessage(status, `Rule ${body.rule_id} added to the draft: ${readBack(body)}. Callers get it when the draft is published.`);
    });
    newBox.append(form);
    builder.focus();
  }

  function remove(rule, row) {
    confirmDelete(row.querySelector(".confirm-host"), {
      name: `rule '${rule.rule_id}'`,
      id: `delete-rule-${rule.rule_id}`,
      consequence: "Calls it answers now will go to the next rule that fits, or to the default profile, once the draft is published.",
      onConfirm: () => guarded(() => api("DELETE", `/rules/${encode(rule.rule_id)}`, { ifMatch: rule.version }), `Rule ${rule.rule_id} deleted from the draft. Callers notice when the draft is published.`),
    });
  }

  await reload();
  // Offered once the rules are read: a new rule is placed among them.
  newActions.append(h("button", { type: "button", id: "rule-new", onclick: () => create() }, "+ New rule"));
}
