// Settings: opening hours, closed dates, time zone, variables (with where they are used) and the default profile,
// saved to the draft like every other edit (If-Match on the version read; a conflict shows both versions in words).
// What the operator owns (name, status, numbers) is shown, never editable here.
import { api, ApiError } from "./api.js";
import { findPlaceholders } from "./placeholders.js";
import { announce, append, clear, clearFieldErrors, field, h, showFieldErrors, showMessage } from "./ui.js";
import { plural, refusal, sentence, VARIABLE_PATTERN } from "./words.js";

const MIDNIGHT = "00:00"; // as a closing time: the end of the day
const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/London", "Europe/Paris", "America/New_York", "America/Chicago", "America/Los_Angeles"];
  }
}

// Which profiles use a variable: a placeholder {{ name }} or {{ tenant.name }} in a prompt or acknowledgement.
export function usesOf(profiles) {
  const uses = new Map();
  for (const profile of profiles) {
    for (const template of [profile.prompt, profile.acknowledgement_prompt]) {
      for (const { path } of findPlaceholders(template)) {
        const name = path.startsWith("tenant.") ? path.slice(7) : path.includes(".") ? null : path;
        if (!name) continue;
        if (!uses.has(name)) uses.set(name, new Set());
        uses.get(name).add(profile.profile_id);
      }
    }
  }
  return uses;
}

function hoursInWords(hours) {
  const weekly = (hours && hours.weekly) || {};
  const open = DAYS.filter(([key]) => (weekly[key] || []).length).map(([key, label]) => `${label} ${weekly[key].join(", ")}`);
  return open.length ? open.join("; ") : "closed every day";
}

export async function settingsView(container, { me }) {
  container.append(h("h2", {}, "Settings"));
  const status = h("div", { id: "settings-message", hidden: true });
  container.append(status);
  let settings;
  let version;
  let profiles = [];
  try {
    const [s, p] = await Promise.all([api("GET", "/settings"), api("GET", "/profiles")]);
    settings = s.data;
    version = Number(s.etag);
    profiles = p.data.items;
  } catch (error) {
    showMessage(status, refusal(error, "the settings"), "error");
    return;
  }
  const readOnly = !me.canEdit;
  const uses = usesOf(profiles);

  // ---------------------------------------------------------------- operator-owned
  const owned = h(
    "section",
    { class: "card", id: "operator-owned", "aria-labelledby": "owned-title" },
    h("h3", { id: "owned-title" }, "Your account"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Business name"), h("dd", { id: "display-name" }, settings.display_name),
      h("dt", {}, "Status"), h("dd", {}, settings.status === "suspended" ? "Suspended: calls get ThunderPhone's standard agent" : "Active"),
      h("dt", {}, "Phone numbers"), h("dd", {}, (settings.phone_numbers || []).join(", ") || "none yet"),
    ),
    h("p", { class: "hint" }, "Only your Switchboard operator changes these. Ask them for a new number or a new business name."),
  );

  // ------------------------------------------------------------------ the form
  const form = h("form", { class: "card", id: "settings-form", novalidate: true, "aria-label": "Settings" });
  const zoneList = h("datalist", { id: "zone-list" }, zones().map((z) => h("option", { value: z })));
  const zone = h("input", { name: "timezone", id: "settings-timezone", list: "zone-list", value: settings.timezone || "UTC", autocomplete: "off", readonly: readOnly, spellcheck: "false" });
  const zoneNow = h("span", { id: "zone-now" });
  const showZoneNow = () => {
    try {
      const now = new Intl.DateTimeFormat(undefined, { timeZone: zone.value.trim(), weekday: "long", hour: "2-digit", minute: "2-digit" }).format(new Date());
      zoneNow.textContent = `It is ${now} there now.`;
    } catch {
      zoneNow.textContent = "Not a time zone we know: type a city, e.g. Europe/Paris or America/New_York.";
    }
  };
  zone.addEventListener("input", showZoneNow);
  showZoneNow();
  const defaultProfile = h(
    "select",
    { name: "default_profile_id", id: "settings-default-profile", disabled: readOnly },
    profiles.map((p) => h("option", { value: p.profile_id, selected: p.profile_id === settings.default_profile_id }, p.profile_id)),
  );
  const transcripts = h("input", { type: "checkbox", name: "keep_transcripts", id: "settings-transcripts", checked: settings.keep_transcripts, disabled: readOnly });

  // Opening hours: per weekday, zero or more ranges (none: closed that day). A closing time of 00:00 is midnight at
  // the end of that day, stored as "24:00" (a time field cannot show 24:00): open all day is 00:00 to 00:00.
  const hoursBody = h("tbody", { id: "hours" });
  const rangeRow = (cell, day, label, text) => {
    const [from, until] = (text || "09:00-17:00").split("-").map((s) => s.trim());
    const start = h("input", { type: "time", value: from, "aria-label": `${label} opens at`, "data-day": day, "data-part": "start", readonly: readOnly });
    const end = h("input", { type: "time", value: until === "24:00" ? MIDNIGHT : until, "aria-label": `${label} closes at`, "data-day": day, "data-part": "end", readonly: readOnly });
    const line = h("div", { class: "range" }, start, h("span", {}, " to "), end);
    if (!readOnly) line.append(h("button", { type: "button", class: "secondary", "aria-label": `Remove these ${label} hours`, onclick: () => { line.remove(); dayState(cell, label); } }, "Remove"));
    cell.querySelector(".ranges").append(line);
    dayState(cell, label);
  };
  function dayState(cell, label) {
    const closed = !cell.querySelector(".range");
    cell.querySelector(".closed").hidden = !closed;
    const add = cell.querySelector(".add-range");
    if (add) add.textContent = closed ? `Open on ${label}` : "Add more hours";
  }
  for (const [key, label] of DAYS) {
    const cell = h("td", { "data-day": key }, h("div", { class: "ranges" }), h("p", { class: "closed muted" }, "Closed"));
    if (!readOnly) cell.append(h("button", { type: "button", class: "secondary add-range", onclick: () => rangeRow(cell, key, label) }, ""));
    hoursBody.append(h("tr", {}, h("th", { scope: "row" }, label), cell));
    for (const text of (settings.business_hours && settings.business_hours.weekly && settings.business_hours.weekly[key]) || []) rangeRow(cell, key, label, text);
    dayState(cell, label);
  }
  const closedList = h("ul", { class: "list", id: "closed-dates" });
  const addClosed = (value) => {
    const input = h("input", { type: "date", value, "aria-label": "Closed on", name: "closed_dates", readonly: readOnly });
    const item = h("li", { class: "range" }, input);
    if (!readOnly) item.append(h("button", { type: "button", class: "secondary", "aria-label": `Remove closed day ${value || ""}`.trim(), onclick: () => item.remove() }, "Remove"));
    closedList.append(item);
    return input;
  };
  for (const day of (settings.business_hours && settings.business_hours.closed_dates) || []) addClosed(day);

  // Variables: name, value, and which profiles use it.
  const varsBody = h("tbody", { id: "variables" });
  const usedBy = (name) => {
    const users = [...(uses.get(name) || [])].sort();
    return users.length ? `used by ${plural(users.length, "profile")} (${users.join(", ")})` : "not used by any profile yet";
  };
  const addVariable = (name, value) => {
    const nameInput = h("input", { value: name, "aria-label": "Variable name", "data-part": "name", readonly: readOnly, spellcheck: "false", autocomplete: "off" });
    const valueInput = h("input", { value, "aria-label": `Value of ${name || "the new variable"}`, "data-part": "value", readonly: readOnly });
    const use = h("td", { class: "muted use" }, usedBy(name));
    const problem = h("p", { class: "field-error", hidden: true });
    nameInput.addEventListener("input", () => {
      use.textContent = usedBy(nameInput.value.trim());
      valueInput.setAttribute("aria-label", `Value of ${nameInput.value.trim() || "the new variable"}`);
    });
    const row = h("tr", { "data-variable": name }, h("td", {}, nameInput, problem), h("td", {}, valueInput), use);
    const removeRow = () => {
      const gone = nameInput.value.trim();
      const users = [...(uses.get(gone) || [])];
      row.remove();
      // Removing a variable a prompt uses leaves a gap in what callers hear: say so before it is saved.
      if (users.length) showMessage(message, `${gone} is used by ${plural(users.length, "profile")} (${users.sort().join(", ")}): once saved, they say nothing where it was, unless you add it back or change their prompts.`, "warn");
    };
    if (!readOnly) row.append(h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove variable ${name || "(new)"}`, onclick: removeRow }, "Remove")));
    varsBody.append(row);
    return nameInput;
  };
  for (const [name, value] of Object.entries(settings.variables || {}).sort()) addVariable(name, value);

  const message = h("div", { id: "settings-save-message", hidden: true });
  const conflictBox = h("div", { id: "settings-conflict" });
  append(form, [
    h("h3", {}, "Time zone"),
    field("Time zone", zone, "Opening hours and every time in the console are in this zone."),
    h("p", { class: "hint" }, zoneNow),
    zoneList,
    h("h3", {}, "Opening hours"),
    h("p", { class: "hint" }, "Outside these hours, rules for \u201coutside opening hours\u201d answer (for example an after-hours greeting). A closing time of 00:00 is midnight: 00:00 to 00:00 is open all day."),
    h("table", { class: "hours" }, hoursBody),
    h("h4", {}, "Closed days"),
    h("p", { class: "hint" }, "Holidays and other days the office is closed all day."),
    closedList,
    readOnly ? null : h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => addClosed("").focus() }, "Add a closed day")),
    h("h3", {}, "Variables"),
    h("p", { class: "hint" }, "Words your prompts can use, such as {{ company_name }}. Change one here and every profile that uses it says the new words."),
    h("table", { class: "vars" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Value"), h("th", {}, "Used by"), readOnly ? null : h("th", {}, ""))), varsBody),
    readOnly ? null : h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", id: "add-variable", onclick: () => addVariable("", "").focus() }, "Add a variable")),
    h("h3", {}, "Default"),
    field("Default profile", defaultProfile, "Calls no rule picks get this profile."),
    h("label", { class: "inline" }, transcripts, " Keep call transcripts"),
    message,
    conflictBox,
  ]);
  if (readOnly) form.append(h("p", { class: "muted" }, "You can read the settings; only admins can change them."));
  else form.append(h("div", { class: "actions" }, h("button", { type: "submit", id: "settings-save" }, "Save settings to draft"), h("span", { class: "hint" }, "Callers get the change when the draft is published.")));

  // The form as a change, or the problems in words (each beside its control).
  function collect() {
    const problems = [];
    const weekly = {};
    for (const [key, label] of DAYS) {
      const ranges = [];
      for (const line of hoursBody.querySelectorAll(`td[data-day="${key}"] .range`)) {
        const start = line.querySelector('[data-part="start"]');
        const end = line.querySelector('[data-part="end"]');
        if (!start.value || !end.value) problems.push([start, `${label}: give both the opening and the closing time`]);
        else if (end.value === MIDNIGHT) ranges.push(`${start.value}-24:00`);
        else if (end.value <= start.value) problems.push([end, `${label}: closing time ${end.value} is not after opening time ${start.value}; split hours that pass midnight over two days (00:00 as the closing time is midnight)`]);
        else ranges.push(`${start.value}-${end.value}`);
      }
      if (ranges.length) weekly[key] = ranges;
    }
    const closed = [];
    for (const input of closedList.querySelectorAll("input")) {
      if (!input.value) problems.push([input, "pick a date, or remove the empty closed day"]);
      else if (!closed.includes(input.value)) closed.push(input.value);
    }
    const variables = {};
    for (const row of varsBody.querySelectorAll("tr")) {
      const nameInput = row.querySelector('[data-part="name"]');
      const name = nameInput.value.trim();
      const value = row.querySelector('[data-part="value"]').value;
      if (!name && !value) continue;
      if (!VARIABLE_PATTERN.test(name)) problems.push([nameInput, `'${name}' cannot be a variable name: use letters, digits and _ (no spaces), starting with a letter, e.g. company_name`]);
      else if (name in variables) problems.push([nameInput, `${name} is listed twice: keep one`]);
      else variables[name] = value;
    }
    return { problems, body: {
      timezone: zone.value.trim(),
      business_hours: { weekly, closed_dates: closed.sort() },
      variables,
      default_profile_id: defaultProfile.value,
      keep_transcripts: transcripts.checked,
    } };
  }

  function showProblems(problems) {
    clearFieldErrors(form);
    for (const [control, text] of problems) {
      control.setAttribute("aria-invalid", "true");
      const box = control.closest("td, li, .field") || form;
      let note = box.querySelector(".field-error");
      if (!note) {
        note = h("p", { class: "field-error" });
        box.append(note);
      }
      note.textContent = sentence(text);
      note.hidden = false;
    }
    showMessage(message, `${plural(problems.length, "thing")} to fix before saving: ${problems.map(([, t]) => sentence(t)).join(" ")}`, "error");
    problems[0][0].focus();
  }

  async function save(body, expected) {
    clearFieldErrors(form);
    showMessage(message, "");
    clear(conflictBox);
    try {
      const { data, etag } = await api("PATCH", "/settings", { body, ifMatch: expected });
      settings = data.item;
      version = Number(etag);
      showMessage(message, "Settings saved to the draft. Callers get them when the draft is published.");
      announce("Settings saved to the draft");
    } catch (error) {
      if (error instanceof ApiError && error.status === 412 && error.body.current) {
        conflict(body, error.body.current);
      } else if (error instanceof ApiError && Object.keys(error.fields).length) {
        const leftovers = showFieldErrors(form, error.fields, null);
        showMessage(message, `${refusal(error, "the settings")}${leftovers.length ? "" : ""}`, "error");
      } else {
        showMessage(message, refusal(error, "the settings"), "error");
      }
    }
  }

  // Someone saved the settings meanwhile: both versions in words; keep mine (over theirs) or take theirs.
  function conflict(mine, theirs) {
    const lines = (s) => [
      `Time zone: ${s.timezone}`,
      `Opening hours: ${hoursInWords(s.business_hours)}`,
      `Closed days: ${((s.business_hours && s.business_hours.closed_dates) || []).join(", ") || "none"}`,
      `Variables: ${Object.entries(s.variables || {}).map(([k, v]) => `${k} = ${v}`).join("; ") || "none"}`,
      `Default profile: ${s.default_profile_id}`,
    ];
    const panel = h(
      "section",
      { class: "card conflict", id: "conflict-panel", tabindex: "-1", "aria-labelledby": "settings-conflict-title" },
      h("h3", { id: "settings-conflict-title" }, "Someone else changed the settings while you were editing"),
      h("p", {}, "Nothing of yours was saved yet. Compare, then keep yours or take theirs."),
      h("div", { class: "cols" },
        h("div", { class: "side mine" }, h("h4", {}, "Your change"), h("ul", { class: "conflict-mine" }, lines(mine).map((l) => h("li", {}, l)))),
        h("div", { class: "side theirs" }, h("h4", {}, "Their version"), h("ul", { class: "conflict-theirs" }, lines(theirs).map((l) => h("li", {}, l))))),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "conflict-keep-mine", onclick: () => save(mine, theirs.version) }, "Keep mine"),
        h("button", { type: "button", class: "secondary", id: "conflict-take-theirs", onclick: () => { window.dispatchEvent(new HashChangeEvent("hashchange")); } }, "Take theirs")),
    );
    conflictBox.append(panel);
    panel.focus();
    announce("Save refused: someone else changed the settings. Both versions are shown.");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (readOnly) return;
    const { problems, body } = collect();
    if (problems.length) {
      showProblems(problems);
      return;
    }
    save(body, version);
  });
  container.append(form, owned);
}
