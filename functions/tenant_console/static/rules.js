// Rules in evaluation order: the first enabled rule (by priority, then id) whose conditions hold answers.
// Reorder (swap priorities), enable/disable, edit the target profile or the A/B variants and their weights.
import { api, ApiError, encode, withoutBookkeeping as bodyOf } from "./api.js";
import { announce, append, clear, clearFieldErrors, diffView, field, formatTime, h, pretty, showFieldErrors, showMessage } from "./ui.js";

function byOrder(a, b) {
  return a.priority - b.priority || (a.rule_id < b.rule_id ? -1 : 1);
}

function describeWhen(when) {
  const parts = [];
  for (const [key, value] of Object.entries(when || {})) {
    if (value === null || (Array.isArray(value) && !value.length)) continue;
    parts.push(`${key.replace(/_/g, " ")}: ${[].concat(value).join(", ")}`);
  }
  return parts.length ? parts.join(" · ") : "every call";
}

export async function rulesView(container, { me }) {
  container.append(h("h2", {}, "Rules"), h("p", { class: "hint" }, "Evaluated top to bottom: the first enabled rule whose conditions all hold chooses the profile (or the A/B variant)."));
  const status = h("div", { id: "rules-message", hidden: true });
  const listBox = h("ol", { class: "list", id: "rules-list", "aria-label": "Rules in evaluation order" });
  container.append(status, listBox);
  let rules = [];
  let profiles = [];

  async function reload(focusId) {
    try {
      const [r, p] = await Promise.all([api("GET", "/rules"), api("GET", "/profiles")]);
      rules = r.data.items.sort(byOrder);
      profiles = p.data.items.map((x) => x.profile_id);
    } catch (error) {
      showMessage(status, error.message, "error");
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
      showMessage(status, stale ? `${failure.message} The list is reloaded: try again.` : failure.message, "error");
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
      const target = rule.variants && rule.variants.length
        ? `A/B: ${rule.variants.map((v) => `${v.name} → ${v.profile_id} (${v.weight})`).join(", ")}`
        : `profile ${rule.profile_id}`;
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
              h("span", { class: "badge" }, `priority ${rule.priority}`),
              rule.description ? h("div", { class: "muted" }, rule.description) : null,
              h("div", {}, `When ${describeWhen(rule.when)} → ${target}`),
            ),
            controls,
          ),
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
    const form = h("form", { class: "rule-editor", "aria-label": `Edit rule ${rule.rule_id}`, novalidate: true });
    const description = h("input", { name: "description", value: rule.description || "" });
    const bucket = h("select", { name: "bucket_by" }, ["call_id", "caller"].map((v) => h("option", { value: v, selected: rule.bucket_by === v }, v)));
    const when = h("textarea", { name: "when", rows: 4, spellcheck: "false" });
    when.value = JSON.stringify(rule.when || {}, null, 2);
    const profileSelect = (value, name) => h("select", { name }, profiles.map((p) => h("option", { value: p, selected: p === value }, p)));
    const single = profileSelect(rule.profile_id, "profile_id");
    const variantsBody = h("tbody");
    const addVariantRow = (variant) => {
      const row2 = h(
        "tr",
        {},
        h("td", {}, h("input", { name: "variant-name", value: variant.name, "aria-label": "Variant name" })),
        h("td", {}, (() => { const s = profileSelect(variant.profile_id, "variant-profile"); s.setAttribute("aria-label", "Variant profile"); return s; })()),
        h("td", {}, h("input", { name: "variant-weight", type: "number", min: "0", max: "10000", value: String(variant.weight), "aria-label": `Weight of variant ${variant.name}` })),
        h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove variant ${variant.name}`, onclick: () => row2.remove() }, "Remove")),
      );
      variantsBody.append(row2);
    };
    (rule.variants || []).forEach(addVariantRow);
    const message = h("div", { hidden: true });
    const conflict = h("div");
    append(form, [
      field("Description", description),
      field("Conditions (JSON)", when, "channel, widget_ids, to_numbers, caller_numbers, caller_prefixes, customer, segments, schedule"),
      field("Keep callers on one variant", bucket, "call_id buckets each call; caller keeps a returning caller on one variant"),
      rule.variants && rule.variants.length ? null : field("Profile", single),
      h("h4", {}, "A/B variants (weights split the calls)"),
      h("table", { class: "variants" }, h("thead", {}, h("tr", {}, h("th", {}, "Variant"), h("th", {}, "Profile"), h("th", {}, "Weight"), h("th", {}, ""))), variantsBody),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => addVariantRow({ name: `V${variantsBody.children.length + 1}`, profile_id: profiles[0], weight: 50 }) }, "+ Add variant")),
      message,
      conflict,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Save rule to draft"), h("button", { type: "button", class: "secondary", onclick: () => form.remove() }, "Cancel")),
    ]);

    function collect() {
      const body = bodyOf(rule);
      body.description = description.value.trim() || null;
      body.bucket_by = bucket.value;
      body.when = JSON.parse(when.value || "{}");
      const variants = [...variantsBody.querySelectorAll("tr")].map((tr) => ({
        name: tr.querySelector('[name="variant-name"]').value.trim(),
        profile_id: tr.querySelector('[name="variant-profile"]').value,
        weight: Number(tr.querySelector('[name="variant-weight"]').value),
      }));
      body.variants = variants;
      body.profile_id = variants.length ? null : single.value || rule.profile_id;
      return body;
    }

    async function save(body, version) {
      clearFieldErrors(form);
      try {
        await put(rule, body, version);
        announce(`Rule ${rule.rule_id} saved to the draft`);
        showMessage(status, `Rule ${rule.rule_id} saved to the draft.`);
        await reload(`edit:${rule.rule_id}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 412 && error.body.current) {
          const theirs = error.body.current;
          clear(conflict);
          conflict.append(
            h(
              "div",
              { class: "card conflict", tabindex: "-1", role: "group", "aria-label": "Conflicting change" },
              h("p", {}, `Version ${theirs.version} was saved ${formatTime(theirs.updated_at)} by ${theirs.updated_by || "someone"} while you edited.`),
              h("div", { class: "cols" }, h("pre", {}, pretty(body)), h("pre", {}, pretty(bodyOf(theirs)))),
              diffView(bodyOf(theirs), body, "theirs to yours"),
              h("div", { class: "actions" },
                h("button", { type: "button", onclick: () => save(body, theirs.version) }, `Keep mine (save over version ${theirs.version})`),
                h("button", { type: "button", class: "secondary", onclick: () => reload(`edit:${rule.rule_id}`) }, "Take theirs")),
            ),
          );
          conflict.firstChild.focus();
        } else if (error instanceof ApiError && Object.keys(error.fields).length) {
          showFieldErrors(form, error.fields, message);
        } else {
          showMessage(message, error.message, "error");
        }
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let body;
      try {
        body = collect();
      } catch (error) {
        showFieldErrors(form, { when: [`not valid JSON: ${error.message}`] }, message);
        return;
      }
      save(body, rule.version);
    });
    row.append(form);
    description.focus();
  }

  await reload();
}
