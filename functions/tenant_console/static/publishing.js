// The draft (what differs from live, and which recent calls it would change), publishing, discarding, and the
// version history with each version's changes and a rollback.
import { api, BOOKKEEPING, withoutBookkeeping } from "./api.js";
import { impactView } from "./impact.js";
import { formatInZone } from "./time.js";
import { announce, append, clear, diffView, h, person, showMessage } from "./ui.js";
import { plural } from "./words.js";

const KIND_PATH = { profile: "profiles", rule: "rules" };

// Field names as a clinic manager would say them.
const FIELD_WORDS = {
  acknowledgement_prompt: "acknowledgement",
  acknowledgement_prompt_mode: "acknowledgement mode",
  background_track: "background sound",
  bucket_by: "how callers are split",
  business_hours: "business hours",
  default_profile_id: "default profile",
  profile_id: "profile",
  prompt_addendum: "prompt addition",
  thinking_level: "thinking level",
  timezone: "time zone",
  variants: "A/B variants",
  when: "conditions",
};

export function fieldWords(name) {
  return FIELD_WORDS[name] || name.replaceAll("_", " ");
}

// A value as indented "name: value" lines, for reading and for diffs: no braces, quotes or brackets.
export function plainText(value, indent = "") {
  if (value === null || value === undefined || value === "") return `${indent}(none)`;
  if (typeof value !== "object") return `${indent}${value}`;
  if (Array.isArray(value)) {
    if (!value.length) return `${indent}(none)`;
    return value.map((item) => (item !== null && typeof item === "object" ? `${indent}-\n${plainText(item, `${indent}  `)}` : `${indent}- ${item}`)).join("\n");
  }
  const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  if (!entries.length) return `${indent}(none)`;
  return entries
    .map(([key, v]) => (v !== null && typeof v === "object" ? `${indent}${fieldWords(key)}:\n${plainText(v, `${indent}  `)}` : `${indent}${fieldWords(key)}: ${v}`))
    .join("\n");
}

function itemOf(config, kind, id) {
  if (!config) return undefined;
  if (kind === "settings") return config.settings;
  const list = config[KIND_PATH[kind]] || [];
  return list.find((item) => item[`${kind}_id`] === id);
}

function changeFields(change, before, after) {
  if (change.fields && change.fields.length) return change.fields;
  const keys = new Set([...Object.keys(before || {}), ...Object.keys(after || {})]);
  return [...keys].filter((k) => !BOOKKEEPING.includes(k) && JSON.stringify((before || {})[k]) !== JSON.stringify((after || {})[k]));
}

function changeList(changes, before, after, label) {
  if (!changes.length) return h("p", { class: "muted" }, "No changes.");
  return h(
    "ul",
    { class: "changes", "aria-label": label },
    changes.map((change) => {
      const was = itemOf(before, change.kind, change.id);
      const now = itemOf(after, change.kind, change.id);
      const fields = change.change === "changed" ? changeFields(change, was, now) : [];
      const what = change.kind === "settings" ? "settings" : `${change.kind} ${change.id}`;
      return h(
        "li",
        { class: "change" },
        h("strong", {}, what),
        ` ${change.change}`,
        fields.length ? ` (${fields.map(fieldWords).join(", ")})` : "",
        h(
          "details",
          {},
          h("summary", {}, "Show the difference"),
          change.change === "changed"
            ? fields.map((name) => h("div", {}, h("h4", {}, fieldWords(name)), diffView(plainText((was || {})[name]), plainText((now || {})[name]), `${what} ${fieldWords(name)}`)))
            : diffView(change.change === "added" ? "" : stripped(was), change.change === "added" ? stripped(now) : "", what),
        ),
      );
    }),
  );
}

function stripped(item) {
  return item ? plainText(withoutBookkeeping(item)) : "";
}

// The draft as a configuration ({settings, profiles, rules}), read through the API.
async function draftConfig() {
  const [settings, profiles, rules] = await Promise.all([api("GET", "/settings"), api("GET", "/profiles"), api("GET", "/rules")]);
  return { settings: settings.data, profiles: profiles.data.items, rules: rules.data.items };
}

export async function draftView(container, { me }) {
  container.append(h("h2", {}, "Draft & history"));
  const message = h("div", { id: "draft-message", hidden: true });
  const draftBox = h("section", { class: "card", "aria-labelledby": "draft-title" });
  const impactBox = h("section", { class: "card", "aria-labelledby": "impact-title" });
  const historyBox = h("section", { class: "card", "aria-labelledby": "history-title" });
  container.append(message, draftBox, impactBox, historyBox);

  async function refresh(focusSelector) {
    clear(draftBox);
    clear(impactBox);
    clear(historyBox);
    let draft;
    let versions;
    try {
      [draft, versions] = await Promise.all([api("GET", "/draft"), api("GET", "/versions")]);
    } catch (error) {
      showMessage(message, error.message, "error");
      return;
    }
    const { live_version: live, changes } = draft.data;
    const liveWords = live ? `callers get version ${live}` : "nothing is published yet";
    draftBox.append(h("h3", { id: "draft-title" }, `Draft: ${plural(changes.length, "unpublished change")} (${liveWords})`));
    let liveConfig = null;
    let current = null;
    if (changes.length) {
      try {
        [liveConfig, current] = await Promise.all([api("GET", `/versions/${live}`).then((r) => r.data), draftConfig()]);
      } catch {
        /* diffs are optional */
      }
    }
    draftBox.append(h("div", { id: "draft-changes" }, changeList(changes, liveConfig, current, "Unpublished changes")));
    if (me.canEdit && changes.length) {
      const confirmBox = h("div", { class: "actions", hidden: true, id: "discard-confirm" });
      draftBox.append(
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", id: "publish", onclick: publish }, `Publish as version ${(versions.data.versions[0] || { version: live }).version + 1}`),
          h("button", { type: "button", class: "secondary", id: "discard", onclick: () => { confirmBox.hidden = false; confirmBox.querySelector("button").focus(); } }, "Discard the draft…"),
        ),
        confirmBox,
      );
      confirmBox.append(
        h("span", {}, "Discard every unpublished change? This cannot be undone."),
        h("button", { type: "button", class: "danger", id: "discard-yes", onclick: discard }, "Yes, discard"),
        h("button", { type: "button", class: "secondary", onclick: () => { confirmBox.hidden = true; draftBox.querySelector("#discard").focus(); } }, "Keep the draft"),
      );
    }

    impactBox.append(h("h3", { id: "impact-title" }, "What callers would notice (the last 7 days of calls, replayed with the draft)"));
    if (changes.length) {
      const impactOut = h("div", { id: "impact-out", "aria-live": "polite" }, h("p", { class: "muted" }, "Replaying recent calls…"));
      impactBox.append(impactOut);
      api("GET", "/draft/impact?days=7")
        .then(({ data }) => {
          clear(impactOut);
          append(impactOut, impactView(data));
        })
        .catch((error) => {
          clear(impactOut);
          impactOut.append(h("p", { class: "error" }, error.message));
        });
    } else {
      impactBox.append(h("p", { class: "muted" }, "Nothing to compare: the draft is the same as what callers get today."));
    }

    historyBox.append(h("h3", { id: "history-title" }, "Version history"));
    const table = h("table", { id: "versions" }, h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Published"), h("th", {}, "By"), h("th", {}, ""))));
    const body = h("tbody");
    table.append(body);
    for (const version of versions.data.versions) {
      const detail = h("tr", { hidden: true }, h("td", { colspan: "4" }));
      const isLive = version.version === live;
      body.append(
        h(
          "tr",
          { "data-version": String(version.version) },
          h("td", {}, `v${version.version}`, isLive ? h("span", { class: "badge" }, "live") : null, version.restored_from ? h("span", { class: "badge" }, `restores v${version.restored_from}`) : null),
          h("td", {}, formatInZone(version.published_at)),
          h("td", {}, person(version.published_by)),
          h(
            "td",
            {},
            h(
              "div",
              { class: "actions" },
              h("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-label": `Changes in version ${version.version}`, onclick: (event) => showChanges(version.version, detail, event.currentTarget) }, "Changes"),
            me.canEdit && !isLive
              ? h("button", { type: "button", class: "secondary", id: `rollback-${version.version}`, onclick: () => confirmRollback(version.version, detail) }, `Roll back to v${version.version}`)
              : null,
            ),
          ),
        ),
        detail,
      );
    }
    historyBox.append(h("div", { class: "table-scroll" }, table));
    if (focusSelector) {
      const target = container.querySelector(focusSelector);
      if (target) target.focus();
    }
  }

  async function showChanges(n, detail, button) {
    const cell = detail.firstChild;
    if (!detail.hidden) {
      detail.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    clear(cell);
    detail.hidden = false;
    button.setAttribute("aria-expanded", "true");
    try {
      const [{ data }, after, before] = await Promise.all([
        api("GET", `/versions/${n}/changes`),
        api("GET", `/versions/${n}`).then((r) => r.data),
        n > 1 ? api("GET", `/versions/${n - 1}`).then((r) => r.data).catch(() => null) : Promise.resolve(null),
      ]);
      cell.append(changeList(data.changes || [], before, after, `Changes in version ${n}`));
    } catch (error) {
      cell.append(h("p", { class: "error" }, error.message));
    }
  }

  function confirmRollback(n, detail) {
    const cell = detail.firstChild;
    clear(cell);
    detail.hidden = false;
    cell.append(
      h(
        "div",
        { class: "actions", role: "group", "aria-label": `Confirm rollback to version ${n}` },
        h("span", {}, `Publish version ${n}'s configuration again as a new version? History is kept.`),
        h("button", { type: "button", id: `rollback-yes-${n}`, onclick: () => rollback(n) }, `Yes, roll back to v${n}`),
        h("button", { type: "button", class: "secondary", onclick: () => { detail.hidden = true; document.getElementById(`rollback-${n}`).focus(); } }, "Cancel"),
      ),
    );
    cell.querySelector("button").focus();
  }

  async function publish() {
    try {
      const { data } = await api("POST", "/draft/publish");
      showMessage(message, `Published version ${data.version}: callers get it within a minute.`);
      announce(`Published version ${data.version}`);
    } catch (error) {
      showMessage(message, error.message, "error");
    }
    await refresh("#draft-title");
  }

  async function discard() {
    try {
      const { data } = await api("DELETE", "/draft");
      showMessage(message, `Discarded ${plural(data.discarded, "change")}: the draft is the same as what callers get again.`);
      announce("Draft discarded");
    } catch (error) {
      showMessage(message, error.message, "error");
    }
    await refresh("#draft-title");
  }

  async function rollback(n) {
    try {
      const { data } = await api("POST", `/versions/${n}/rollback`);
      showMessage(message, `Rolled back: version ${data.version} now serves version ${n}'s configuration.`);
      announce(`Rolled back to version ${n}`);
    } catch (error) {
      showMessage(message, error.message, "error");
    }
    await refresh("#history-title");
  }

  await refresh();
}

