// Profiles: the prompt editor (placeholders, warnings), the rendered preview, and never losing an edit on a 412.
import { api, ApiError, encode, withoutBookkeeping } from "./api.js";
import { classify, findPlaceholders, malformedCount } from "./placeholders.js";
import { productPicker, voicePicker, voiceProblem } from "./pickers.js";
import { confirmDelete, refusal, sentence } from "./words.js";
import { announce, append, clear, clearFieldErrors, diffView, field, formatTime, h, person, pretty, showFieldErrors, showMessage } from "./ui.js";
import { clockInZone, nowInZone, zoneLabel } from "./time.js";

const EDITED = ["description", "prompt", "acknowledgement_prompt", "voice", "product", "variables"];
let selected = null;
const LABELS = { description: "Description", prompt: "Prompt", acknowledgement_prompt: "Acknowledgement prompt", voice: "Voice", product: "Product", variables: "Profile variables" };
// A field as the editor shows it: variables as "name = value" lines, never JSON.
const asText = (key, value) => (key === "variables" ? variablesText(value) : pretty(value ?? ""));

function variablesText(variables) {
  return Object.entries(variables || {})
    .map(([name, value]) => `${name} = ${value}`)
    .join("\n");
}

function parseVariables(text) {
  const variables = {};
  const problems = [];
  (text || "").split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    const at = line.indexOf("=");
    if (at < 1) {
      problems.push(`line ${index + 1}: write name = value`);
      return;
    }
    variables[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return { variables, problems };
}

export async function profilesView(container, { me }) {
  container.append(h("h2", {}, "Profiles"));
  const status = h("div", { hidden: true });
  container.append(status);
  let profiles;
  let tenantVariables = {};
  let customers = [];
  try {
    const [list, settings, people] = await Promise.all([
      api("GET", "/profiles"),
      api("GET", "/settings"),
      api("GET", "/customers?limit=100").catch(() => ({ data: { items: [] } })),
    ]);
    profiles = list.data.items;
    tenantVariables = settings.data.variables || {};
    customers = people.data.items || [];
  } catch (error) {
    showMessage(status, error.message, "error");
    return;
  }
  const listBox = h("ul", { class: "list", "aria-label": "Profiles" });
  const editorBox = h("div", { id: "profile-editor", "aria-busy": "false" }); // busy while a profile loads
  container.append(h("div", { class: "grid" }, h("div", { class: "card" }, listBox), editorBox));

  function drawList() {
    clear(listBox);
    for (const profile of profiles) {
      listBox.append(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              "aria-pressed": String(profile.profile_id === selected),
              onclick: () => open(profile.profile_id),
            },
            profile.profile_id,
          ),
        ),
      );
    }
    if (me.canEdit) {
      listBox.append(h("li", {}, h("button", { type: "button", class: "secondary", onclick: () => openNew() }, "+ New profile")));
    }
  }

  let opening = 0; // the latest profile asked for wins, however the answers arrive
  async function open(profileId) {
    const ticket = ++opening;
    selected = profileId;
    drawList();
    editorBox.setAttribute("aria-busy", "true");
    try {
      const { data, etag } = await api("GET", `/profiles/${encode(profileId)}`);
      if (ticket !== opening) return;
      clear(editorBox);
      editor(editorBox, { item: data, etag: Number(etag), me, tenantVariables, customers, creating: false, onSaved });
    } catch (error) {
      if (ticket !== opening) return;
      clear(editorBox);
      editorBox.append(h("p", { class: "error", role: "alert" }, error.message));
    } finally {
      if (ticket === opening) editorBox.setAttribute("aria-busy", "false");
    }
  }

  function openNew() {
    opening += 1;
    selected = null;
    drawList();
    editorBox.setAttribute("aria-busy", "false");
    clear(editorBox);
    const item = { profile_id: "", prompt: "You are the assistant of {{ company_name }}.", voice: "en-US-Ava1", product: "spark", variables: {} };
    editor(editorBox, { item, etag: null, me, tenantVariables, customers, creating: true, onSaved });
  }

  function onSaved(item) {
    const index = profiles.findIndex((p) => p.profile_id === item.profile_id);
    if (index >= 0) profiles[index] = item;
    else profiles.push(item);
    selected = item.profile_id;
    drawList();
    if (index < 0) open(item.profile_id); // a new profile opens as itself, with its preview and delete
  }

  drawList();
  const first = profiles.find((p) => p.profile_id === selected) || profiles[0];
  if (first) await open(first.profile_id);
}

function editor(box, { item, etag, me, tenantVariables, customers, creating, onSaved }) {
  let base = item; // what the server has, as last read
  let version = etag;
  const readOnly = !me.canEdit;
  const control = (tag, name, attrs = {}) =>
    h(tag, { name, id: `profile-${name}`, readonly: readOnly, ...attrs });
  const idInput = creating ? control("input", "profile_id", { required: true, pattern: "[a-z0-9][a-z0-9-]*", autocomplete: "off" }) : null;
  const description = control("input", "description", { value: item.description || "" });
  const prompt = control("textarea", "prompt", { rows: 8, spellcheck: "false" });
  prompt.value = item.prompt || "";
  const ack = control("textarea", "acknowledgement_prompt", { rows: 2, spellcheck: "false" });
  ack.value = item.acknowledgement_prompt || "";
  const voicePick = voicePicker(item.voice, { readOnly, id: "profile-voice" });
  const voice = voicePick.input;
  const product = productPicker(item.product || "spark", { readOnly, id: "profile-product" });
  const variables = control("textarea", "variables", { rows: 3, spellcheck: "false" });
  variables.value = variablesText(item.variables);
  const chips = h("ul", { class: "chips", "aria-label": "Placeholders this profile uses" });
  const chipNotes = h("div", { class: "warn", id: "placeholder-warnings", "aria-live": "polite" });
  const message = h("div", { id: "profile-message", hidden: true });
  const conflictBox = h("div", { id: "conflict" });
  const form = h("form", { class: "card", id: "profile-form", novalidate: true, "aria-label": "Profile editor" });

  const title = creating ? "New profile" : `Profile ${item.profile_id}`;
  const meta = creating ? "" : `Draft version ${version}, saved ${formatTime(item.updated_at)} by ${person(item.updated_by) || "someone"}`;
  append(form, [
    h("h3", {}, title),
    meta ? h("p", { class: "muted", id: "profile-meta" }, meta) : null,
    idInput ? field("Profile id", idInput, "lowercase letters, digits and hyphens") : null,
    field("Description", description),
    field("Prompt", prompt, "placeholders: {{ name }}, {{ customer.name | default(\"there\") }}, {{ call.local_time }}"),
    h("div", { class: "placeholders" }, h("p", { class: "hint" }, "Placeholders used:"), chips, chipNotes),
    field("Acknowledgement prompt", ack, "optional"),
    h("div", { class: "cols" }, field("Voice", voice, voicePick.hint), field("Product", product, "how the agent thinks, and how fast it answers")),
    voicePick.examples,
    field("Profile variables", variables, "one per line: name = value"),
    message,
    conflictBox,
  ]);
  const save = h("button", { type: "submit", id: "profile-save" }, creating ? "Create profile" : "Save to draft");
  const confirmHost = h("div", { id: "profile-delete-confirm" });
  const remove = creating ? null : h("button", { type: "button", class: "secondary", id: "profile-delete", onclick: () => askDelete() }, "Delete profile");
  if (!readOnly) form.append(h("div", { class: "actions" }, save, remove, h("span", { class: "hint" }, "Saved changes reach callers when the draft is published.")), confirmHost);
  else form.append(h("p", { class: "muted" }, "You can read this profile; only admins can change it."));

  function drawPlaceholders() {
    clear(chips);
    clear(chipNotes);
    const { variables: profileVariables } = parseVariables(variables.value);
    const found = [...findPlaceholders(prompt.value), ...findPlaceholders(ack.value)];
    const seen = new Set();
    const warnings = [];
    for (const placeholder of found) {
      if (seen.has(placeholder.path)) continue;
      seen.add(placeholder.path);
      const { kind, note } = classify(placeholder, tenantVariables, profileVariables);
      chips.append(h("li", { class: `chip ${kind}`, title: note }, placeholder.path, h("span", { class: "visually-hidden" }, ` (${note})`)));
      if (kind === "unknown") warnings.push(`{{ ${placeholder.path} }}: ${note}`);
    }
    if (!seen.size) chips.append(h("li", { class: "muted" }, "none"));
    const broken = malformedCount(prompt.value) + malformedCount(ack.value);
    if (broken) warnings.push(`${broken} malformed placeholder${broken > 1 ? "s" : ""}: the API will refuse the prompt`);
    for (const warning of warnings) chipNotes.append(h("p", { class: "warn placeholder-warning" }, `⚠ ${warning}`));
  }
  for (const input of [prompt, ack, variables]) input.addEventListener("input", drawPlaceholders);
  drawPlaceholders();

  function mine() {
    const { variables: parsed } = parseVariables(variables.value);
    const body = Object.assign(withoutBookkeeping(base), {
      description: description.value.trim() || null,
      prompt: prompt.value,
      acknowledgement_prompt: ack.value.trim() ? ack.value : null,
      voice: voice.value.trim(),
      product: product.value.trim(),
      variables: parsed,
    });
    if (creating) body.profile_id = idInput.value.trim();
    return body;
  }

  function load(record, newVersion) {
    base = record;
    version = newVersion;
    description.value = record.description || "";
    prompt.value = record.prompt || "";
    ack.value = record.acknowledgement_prompt || "";
    voice.value = record.voice || "";
    product.value = record.product || "";
    variables.value = variablesText(record.variables);
    drawPlaceholders();
    const metaLine = form.querySelector("#profile-meta");
    if (metaLine) metaLine.textContent = `Draft version ${version}, saved ${formatTime(record.updated_at)} by ${person(record.updated_by) || "someone"}`;
  }

  async function submit(body, expected) {
    clearFieldErrors(form);
    showMessage(message, "");
    const id = creating ? body.profile_id : base.profile_id;
    const { problems } = parseVariables(variables.value);
    if (problems.length) {
      showFieldErrors(form, { variables: problems }, message);
      return;
    }
    if (voiceProblem(voice.value)) {
      showFieldErrors(form, { voice: [sentence(voiceProblem(voice.value))] }, message);
      return;
    }
    if (creating && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) {
      showFieldErrors(form, { profile_id: ["use 1 to 63 lowercase letters, digits or hyphens"] }, message);
      return;
    }
    save.disabled = true;
    try {
      const { data, etag } = await api("PUT", `/profiles/${encode(id)}`, creating ? { body, create: true } : { body, ifMatch: expected });
      clear(conflictBox);
      load(data.item, Number(etag));
      if (creating) {
        onSaved(data.item);
        return;
      }
      onSaved(data.item);
      const lines = [data.effective || "Saved to the draft."];
      showMessage(message, lines.join(" "), data.warnings && data.warnings.length ? "warn" : "notice");
      if (data.warnings && data.warnings.length) {
        message.append(h("ul", { id: "api-warnings" }, data.warnings.map((warning) => h("li", {}, warning))));
      }
      announce(`Profile saved as draft version ${version}`);
    } catch (error) {
      if (!creating && error instanceof ApiError && error.status === 412 && error.body.current) {
        showConflict(body, error.body.current, "");
      } else if (error instanceof ApiError && Object.keys(error.fields).length) {
        showFieldErrors(form, error.fields, message);
        if (!message.textContent) showMessage(message, refusal(error, `profile '${id}'`), "error");
      } else {
        showMessage(message, refusal(error, `profile '${id}'`), "error");
      }
    } finally {
      save.disabled = false;
    }
  }

  // Someone saved this profile since it was read: show both, let the admin keep theirs, take the other, or edit.
  function showConflict(body, current, text) {
    clear(conflictBox);
    const theirs = current;
    const differing = EDITED.filter((key) => pretty(body[key] ?? null) !== pretty(theirs[key] ?? null));
    const panel = h(
      "section",
      { class: "card conflict", id: "conflict-panel", "aria-labelledby": "conflict-title", tabindex: "-1" },
      h("h3", { id: "conflict-title" }, "Someone else changed this profile while you were editing"),
      h("p", {}, `Version ${theirs.version} was saved ${formatTime(theirs.updated_at)} by ${person(theirs.updated_by) || "someone"}. Nothing of yours was saved yet. `, text),
      differing.map((key) =>
        h(
          "div",
          { class: "conflict-field" },
          h("h4", {}, LABELS[key] || key),
          h(
            "div",
            { class: "cols" },
            h("div", { class: "side mine" }, h("h4", {}, "Your change"), h("pre", { class: "conflict-mine" }, asText(key, body[key]))),
            h("div", { class: "side theirs" }, h("h4", {}, `Their version (${theirs.version})`), h("pre", { class: "conflict-theirs" }, asText(key, theirs[key]))),
          ),
          h("details", {}, h("summary", {}, "What they changed compared with yours"), diffView(asText(key, body[key]), asText(key, theirs[key]), `${LABELS[key] || key}: yours to theirs`)),
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", id: "conflict-keep-mine", onclick: () => { version = theirs.version; base = { ...theirs }; submit({ ...body }, theirs.version); } }, `Keep mine (save over version ${theirs.version})`),
        h("button", { type: "button", class: "secondary", id: "conflict-take-theirs", onclick: () => { load(theirs, theirs.version); clear(conflictBox); announce("Their version is loaded; your change was dropped"); prompt.focus(); } }, "Take theirs"),
        h("button", { type: "button", class: "secondary", id: "conflict-edit", onclick: () => { base = { ...theirs }; version = theirs.version; clear(conflictBox); showMessage(message, `Your text is still in the form. Saving now replaces version ${theirs.version}.`, "warn"); prompt.focus(); } }, "Merge by hand, then save"),
      ),
    );
    conflictBox.append(panel);
    panel.focus();
    announce("Save refused: someone else changed this profile. Both versions are shown.");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!readOnly) submit(mine(), version);
  });

  // Delete after a confirmation that names who uses the profile; the API's refusal (still in use) is said in words.
  async function askDelete() {
    const name = `profile '${base.profile_id}'`;
    let users = [];
    try {
      const [rules, settings] = await Promise.all([api("GET", "/rules"), api("GET", "/settings")]);
      users = rules.data.items.filter((r) => r.profile_id === base.profile_id || (r.variants || []).some((v) => v.profile_id === base.profile_id)).map((r) => `rule '${r.rule_id}'`);
      if (settings.data.default_profile_id === base.profile_id) users.unshift("the default profile setting");
    } catch {
      users = [];
    }
    confirmDelete(confirmHost, {
      name,
      id: "profile-delete",
      consequence: users.length
        ? `${users.length === 1 ? "It is used by" : `${users.length} things use it:`} ${users.join(", ")}; Switchboard will refuse until ${users.length === 1 ? "that changes" : "they change"}.`
        : "No rule uses it. Callers notice when the draft is published.",
      onConfirm: async () => {
        try {
          await api("DELETE", `/profiles/${encode(base.profile_id)}`, { ifMatch: version });
        } catch (error) {
          clear(confirmHost);
          showMessage(message, refusal(error, name), "error");
          remove.focus();
          return;
        }
        announce(`Profile ${base.profile_id} deleted from the draft`);
        window.location.hash = "#profiles";
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      },
    });
  }

  box.append(form);
  if (!creating) box.append(previewCard({ profileId: item.profile_id, customers, dirty: () => pretty(mine().prompt) !== pretty(base.prompt) }));
  if (creating) idInput.focus();
}

// Preview: what the draft answers for a chosen caller and time, rendered by the router's own code (POST /simulate).
function previewCard({ profileId, customers, dirty }) {
  const channel = h("select", { name: "channel", id: "preview-channel" }, h("option", { value: "phone" }, "Phone call"), h("option", { value: "web" }, "Web widget session"));
  const caller = h(
    "select",
    { name: "caller", id: "preview-caller" },
    h("option", { value: "" }, "A caller we do not know"),
    customers.filter((c) => c.customer_id.startsWith("+")).map((c) => h("option", { value: c.customer_id }, `${c.name || c.customer_id} (${c.customer_id})`)),
  );
  const widget = h("input", { name: "widget_id", id: "preview-widget", placeholder: "e.g. pricing" });
  const at = h("input", { type: "datetime-local", name: "at", id: "preview-at", value: nowInZone() }); // now, there
  const onlyThis = h("input", { type: "checkbox", name: "profile_id", id: "preview-this-profile", checked: true });
  const output = h("div", { id: "preview-output", "aria-live": "polite" });
  const form = h("form", { class: "card", id: "preview-form", "aria-label": "Preview" });
  form.append(
    h("h3", {}, "Preview"),
    h("p", { class: "hint" }, "Renders the saved draft as the router would for this call. The time is the tenant's local time."),
    h("div", { class: "cols" }, field("Channel", channel), field("Time", at, `in ${zoneLabel()}`)),
    h("div", { class: "cols" }, field("Caller", caller, "phone calls"), field("Widget", widget, "web sessions")),
    h("label", { class: "inline" }, onlyThis, ` Render profile ${profileId} (otherwise: whatever the rules choose)`),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "preview-run" }, "Preview")),
    output,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(output);
    clearFieldErrors(form);
    const body = { config: "draft", channel: channel.value };
    if (channel.value === "phone" && caller.value) body.caller = caller.value;
    if (channel.value === "web" && widget.value.trim()) body.widget_id = widget.value.trim();
    if (at.value) body.at = at.value.length === 16 ? `${at.value}:00` : at.value;
    if (onlyThis.checked) body.profile_id = profileId;
    let result;
    try {
      result = (await api("POST", "/simulate", { body })).data;
    } catch (error) {
      showFieldErrors(form, error.fields || {}, null);
      output.append(h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
    if (dirty()) output.append(h("p", { class: "notice warn" }, "You have unsaved edits: the preview shows the saved draft."));
    const answer = result.answer || {};
    append(output, [
      h(
        "p",
        {},
        result.outcome === "config"
          ? `Answered by profile ${result.profile_id}${result.rule_id ? ` (rule ${result.rule_id}${result.variant ? `, variant ${result.variant}` : ""})` : ""} at ${result.received_at ? clockInZone(result.received_at) : result.local_time || ""}.`
          : "This call would fall back to ThunderPhone's static agent. Why, and what to change, is below.",
      ),
      answer.prompt ? h("div", { class: "prompt-out", id: "preview-prompt" }, answer.prompt) : null,
      result.missing_variables && result.missing_variables.length
        ? h("p", { class: "warn", id: "preview-missing" }, `Rendered empty: ${result.missing_variables.join(", ")}`)
        : null,
      h("details", { open: result.outcome !== "config" }, h("summary", {}, "Why"), h("ul", {}, (result.reasons || []).map((reason) => h("li", {}, reason)))),
    ]);
  });
  return form;
}
