// Pickers for a profile's product and voice. Products: ThunderPhone's documented list, one plain line each. Voices:
// ThunderPhone documents no complete list (its GET /v1/voices answer is unconfirmed), so a voice is typed, checked
// for the shape of a voice id and explained with examples; the tenant API stays the authority on what it accepts.
import { h } from "./ui.js";

export const PRODUCTS = [
  ["spark", "Spark: the fastest replies; good for most calls"],
  ["bolt", "Bolt: balanced speed and care"],
  ["storm-base", "Storm: thinks before answering; slower, for harder questions"],
  ["storm-base-with-ack", "Storm with a short \u201cone moment\u201d while it thinks"],
  ["storm-extra", "Storm Extra: thinks longest; slowest, most careful"],
  ["storm-extra-with-ack", "Storm Extra with a short \u201cone moment\u201d while it thinks"],
];

export const VOICE_EXAMPLES = ["en-US-James1", "en-US-Ava1", "en-GB-Standard-A", "es-ES-Standard-B"];
// A ThunderPhone voice id: language-REGION-name, e.g. en-US-James1 or en-US-Standard-Journey-D.
const VOICE_SHAPE = /^[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9][A-Za-z0-9-]{0,100}$/;

export function productPicker(value, { readOnly, id, name = "product" } = {}) {
  const known = PRODUCTS.some(([key]) => key === value);
  const select = h(
    "select",
    { name, id, disabled: readOnly },
    PRODUCTS.map(([key, label]) => h("option", { value: key, selected: key === value }, label)),
    known || !value ? null : h("option", { value, selected: true }, value),
  );
  return select;
}

export function voiceProblem(value) {
  const text = (value || "").trim();
  if (!text) return "choose a voice, e.g. en-US-James1";
  if (!VOICE_SHAPE.test(text)) return `'${text}' does not look like a voice name: language, country and voice, e.g. ${VOICE_EXAMPLES.slice(0, 2).join(" or ")}`;
  return null;
}

export function voicePicker(value, { readOnly, id, name = "voice" } = {}) {
  const listId = `${id || name}-examples`;
  const input = h("input", { name, id, value: value || "", list: listId, readonly: readOnly, autocomplete: "off", spellcheck: "false" });
  const examples = h("datalist", { id: listId }, VOICE_EXAMPLES.map((v) => h("option", { value: v })));
  return { input, examples, hint: "ThunderPhone's voice name: language, country and voice, e.g. en-US-James1 (US English, male) or en-US-Ava1 (US English, female). Your operator can tell you which voices your account has." };
}
