// Words a clinic manager reads: counts with the right plural, money, durations, refusals in plain words, a delete
// that asks first and names its consequence, and the names the tenant API expects.
import { ApiError } from "./api.js";
import { h, clear } from "./ui.js";

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/; // functions/common/types.py ITEM_ID_PATTERN
export const VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/; // VariableName
export const E164 = /^\+[1-9][0-9]{6,14}$/;
export const PREFIX = /^\+[0-9]{1,14}$/; // CallerPrefix

// plural(1, "session") -> "1 session"; plural(2, "session") -> "2 sessions"; plural(2, "reply", "replies").
export function plural(count, one, many = `${one}s`) {
  const n = Number(count) || 0;
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

export function money(cents) {
  return `$${((Number(cents) || 0) / 100).toFixed(2)}`;
}

// 185 -> "3 min 5 s"; 42 -> "42 s"; 3600 -> "1 h 0 min".
export function duration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

// "completed" -> "Completed": a fragment inside a longer line (sentence() below also ends it with a full stop).
export function capitalized(text) {
  const value = String(text || "");
  return value ? `${value[0].toUpperCase()}${value.slice(1)}` : value;
}

export function sentence(text) {
  const t = String(text || "").trim();
  if (!t) return "";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

// What a refusal means to the person who clicked, and what to do next; `what` names the thing ("profile 'x'").
export function refusal(error, what) {
  if (!(error instanceof ApiError)) return sentence(error && error.message);
  switch (error.code) {
    case "already_exists":
      return `${sentence(`${what} already exists`)} Choose another name, or open the existing one to change it.`;
    case "precondition_failed":
      return `${sentence(`${what} was changed by someone else since you opened it`)} Look at their version and apply your change again.`;
    case "not_found":
      return `${sentence(`${what} no longer exists`)} Someone may have deleted it: reload the page.`;
    case "forbidden":
      return "Your role can look at everything but change nothing. Ask one of your admins to make this change.";
    case "operator_owned":
      return "Only your Switchboard operator can change that. Ask them.";
    case "network":
      return "The console could not reach Switchboard. Check your connection and try again.";
    case "store_unavailable":
      return "Switchboard is busy for a moment. Try again in a few seconds.";
    default:
      return sentence(error.message);
  }
}

// A delete that asks first, in place: "Delete 'x'? <consequence>" with Delete / Keep it. Resolves when answered.
export function confirmDelete(host, { name, consequence, onConfirm, id }) {
  clear(host);
  const keep = h("button", { type: "button", class: "secondary", onclick: () => clear(host) }, "Keep it");
  const yes = h("button", { type: "button", class: "danger", id: id ? `${id}-yes` : undefined, onclick: async () => {
    yes.disabled = true;
    try {
      await onConfirm();
    } finally {
      yes.disabled = false;
    }
  } }, `Delete ${name}`);
  const box = h(
    "div",
    { class: "notice warn confirm", role: "alertdialog", "aria-label": `Delete ${name}?`, tabindex: "-1" },
    h("p", {}, h("strong", {}, `Delete ${name}?`), " ", consequence || "This cannot be undone."),
    h("div", { class: "actions" }, yes, keep),
  );
  host.append(box);
  yes.focus();
  return box;
}
