// Editing helpers shared by the settings, rules, profiles and customers views: refusals in plain words, a delete
// that asks first and names its consequence, plurals, and the names the tenant API expects.
import { ApiError } from "./api.js";
import { h, clear } from "./ui.js";

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/; // functions/common/types.py ITEM_ID_PATTERN
export const VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/; // VariableName
export const E164 = /^\+[1-9][0-9]{6,14}$/;
export const PREFIX = /^\+[0-9]{1,14}$/; // CallerPrefix

export function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many || `${one}s`}`;
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
