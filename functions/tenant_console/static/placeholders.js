// What a prompt's placeholders are, as the router sees them. The pattern mirrors PLACEHOLDER in
// functions/tenant_config/templating.py; the names the router provides (call.*, tenant.id, ...) come from the page's
// configuration, which the console Lambda reads from that same module. The API's warnings on save stay the authority.
import { config } from "./auth.js";

const T = config.templating;
const NAME = "[A-Za-z_][A-Za-z0-9_]*";
const PLACEHOLDER = new RegExp(
  `\\{\\{\\s*(${NAME}(?:\\.${NAME})?)\\s*(?:\\|\\s*default\\(\\s*(["'])((?:[^\\n}]|\\}(?!\\})){0,${T.maxDefaultChars}}?)\\2\\s*\\)\\s*)?\\}\\}`,
  "g",
);

export function findPlaceholders(template) {
  const found = new Map();
  for (const match of (template || "").matchAll(PLACEHOLDER)) {
    const path = match[1];
    const previous = found.get(path);
    found.set(path, { path, hasDefault: Boolean(match[2]) && (!previous || previous.hasDefault) });
  }
  return [...found.values()];
}

export function malformedCount(template) {
  const openings = ((template || "").match(/\{\{/g) || []).length;
  let matched = 0;
  for (const _ of (template || "").matchAll(PLACEHOLDER)) matched += 1;
  return Math.max(0, openings - matched);
}

// kind: "known" (always has a value), "customer" (from the caller's customer record), "unknown" (may render empty).
export function classify(placeholder, tenantVariables, profileVariables) {
  const { path, hasDefault } = placeholder;
  const [namespace, name] = path.includes(".") ? path.split(".") : ["", path];
  const builtIn = T.builtIns.includes(path);
  if (namespace && !T.namespaces.includes(namespace)) {
    return { kind: "unknown", note: `unknown namespace '${namespace}': use ${T.namespaces.join(", ")}` };
  }
  if (builtIn) return { kind: "known", note: "set by Switchboard" };
  if (namespace === "call") {
    if (T.callVariables.includes(name)) return { kind: "known", note: "set for every call (some only on phone calls)" };
    return { kind: "unknown", note: `never set: a call provides ${T.callVariables.map((v) => `call.${v}`).join(", ")}` };
  }
  if (namespace === "customer") {
    return { kind: "customer", note: hasDefault ? "from the customer record, with a default" : "from the customer record; empty for unknown callers" };
  }
  if (namespace === "tenant") {
    return name in tenantVariables ? { kind: "known", note: "tenant variable" } : { kind: "unknown", note: "not a tenant variable" };
  }
  if (namespace === "profile") {
    return name in profileVariables ? { kind: "known", note: "profile variable" } : { kind: "unknown", note: "not a profile variable" };
  }
  if (name in profileVariables) return { kind: "known", note: "profile variable" };
  if (name in tenantVariables) return { kind: "known", note: "tenant variable" };
  if (hasDefault) return { kind: "customer", note: "a customer may define it; otherwise its default" };
  return { kind: "unknown", note: "not a tenant or profile variable: empty unless the caller is a customer who defines it" };
}
