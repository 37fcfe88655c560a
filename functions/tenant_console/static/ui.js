// DOM helpers: elements are built with textContent only (never innerHTML), so no API value can become markup.
import { formatInZone } from "./time.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "value") node.value = value;
    else if (key === "checked") node.checked = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled field; its errors appear right under it (aria-describedby), from the API's `fields` map.
export function field(label, control, hint) {
  const id = control.id || nextId("f");
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  const wrapper = h(
    "div",
    { class: "field", "data-field": control.name || "" },
    h("label", { for: id }, label, hint ? h("span", { class: "hint", id: hintId }, ` ${hint}`) : null),
    control,
    error,
  );
  return wrapper;
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// Put each message of an API `fields` map beside its control ("body.prompt", "prompt", "line 3", ...); what has
// no control goes to `fallback`. Focus moves to the first field in error.
// "body.rules.0.profile_id" -> "profile id": the field a person filled in, not the request's path to it.
function fieldInWords(name) {
  const parts = String(name).split(".").filter((part) => part && part !== "body" && !/^\d+$/.test(part));
  return (parts[parts.length - 1] || "this field").replace(/_/g, " ");
}

export function showFieldErrors(form, fields, fallback) {
  clearFieldErrors(form);
  const leftovers = [];
  let first = null;
  for (const [name, messages] of Object.entries(fields || {})) {
    const key = name.replace(/^body\./, "").split(".")[0];
    const control = form.querySelector(`[name="${CSS.escape(key)}"]`);
    if (!control) {
      leftovers.push(`${fieldInWords(name)}: ${[].concat(messages).join("; ")}`);
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    const error = document.getElementById(`${control.id}-error`);
    if (error) {
      error.textContent = [].concat(messages).join(" ");
      error.hidden = false;
    }
    first = first || control;
  }
  if (fallback) showMessage(fallback, leftovers.length ? leftovers.join("\n") : "", "error");
  if (first) first.focus();
  return leftovers;
}

export function showMessage(box, text, kind = "notice") {
  clear(box);
  box.hidden = !text;
  box.className = `notice ${kind === "notice" ? "" : kind}`.trim();
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  if (text) box.append(text);
}

export function announce(text) {
  const region = document.getElementById("announce");
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 30);
}

// In the tenant's time zone, with the zone named (time.js).
export function formatTime(iso) {
  return formatInZone(iso);
}

export function pretty(value) {
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// A line diff (longest common subsequence), for prompts and other values.
export function diffLines(before, after) {
  const a = pretty(before).split("\n");
  const b = pretty(after).split("\n");
  const n = a.length;
  const m = b.length;
  if (n * m > 250000) return [...a.map((line) => ["del", line]), ...b.map((line) => ["add", line])];
  const table = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(["same", a[i]]);
      i += 1;
      j += 1;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      out.push(["del", a[i]]);
      i += 1;
    } else {
      out.push(["add", b[j]]);
      j += 1;
    }
  }
  while (i < n) out.push(["del", a[i++]]);
  while (j < m) out.push(["add", b[j++]]);
  return out;
}

export function diffView(before, after, label) {
  const lines = diffLines(before, after);
  return h(
    "div",
    { class: "diff", role: "group", "aria-label": label || "differences" },
    lines.map(([kind, line]) =>
      h(
        "div",
        { class: kind === "same" ? "" : kind },
        h("span", { class: "visually-hidden" }, kind === "add" ? "added: " : kind === "del" ? "removed: " : ""),
        `${kind === "add" ? "+ " : kind === "del" ? "- " : "  "}${line}`,
      ),
    ),
  );
}

export function focusHeading(container) {
  const heading = container.querySelector("h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

// Who made a change: the person's sign-in name or e-mail, never the principal string the store records
// ("tenant:demo:local-admin@demo" -> "local-admin@demo"); the operator's own changes say so.
export function person(actor) {
  if (!actor) return "";
  const match = /^tenant:[^:]+:(.+)$/.exec(actor);
  return match ? match[1] : "the operator";
}
