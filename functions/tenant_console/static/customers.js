// Customers (live records, no publish needed): find, edit, and import a CSV with errors by line.
import { api, ApiError, encode, withoutBookkeeping } from "./api.js";
import { config, currentToken } from "./auth.js";
import { announce, clear, clearFieldErrors, field, h, showFieldErrors, showMessage } from "./ui.js";
import { confirmDelete, E164, plural, refusal, sentence } from "./words.js";

// A customer in words, for the conflict panel (never JSON).
function inWords(c) {
  const vars = Object.entries(c.variables || {}).map(([k, v]) => `${k} = ${v}`).join("; ");
  return [
    `Name: ${c.name || "none"}`,
    `Segment: ${c.segment || "none"}`,
    `Variables: ${vars || "none"}`,
    `Prompt instead of the profile's: ${c.prompt_override || "none"}`,
    `Added to the prompt: ${c.prompt_addendum || "none"}`,
  ];
}

export async function customersView(container, { me }) {
  container.append(h("h2", {}, "Customers"), h("p", { class: "hint" }, "Customer records are live: a change reaches calls within about a minute, without publishing."));
  const query = h("input", { type: "search", name: "q", id: "customer-search", placeholder: "name, number or segment" });
  const results = h("div", { id: "customer-results" });
  const editorBox = h("div");
  const searchForm = h("form", { class: "card", role: "search", "aria-label": "Find customers" }, field("Find a customer", query), h("div", { class: "actions" }, h("button", { type: "submit" }, "Find")));
  const tools = h("div", { class: "actions" });
  if (me.canEdit) tools.append(h("button", { type: "button", id: "customer-new", onclick: () => edit({ customer_id: "", variables: {} }, true) }, "+ New customer"));
  tools.append(h("button", { type: "button", class: "secondary", id: "customer-export", onclick: () => exportCsv(exportMessage) }, "Download all as CSV"));
  const exportMessage = h("div", { id: "export-message", hidden: true });
  container.append(tools, exportMessage, searchForm, results, editorBox);
  if (me.canEdit) container.append(importCard());

  let all = [];
  async function loadAll() {
    all = [];
    let cursor = null;
    do {
      const { data } = await api("GET", `/customers?limit=500${cursor ? `&cursor=${encode(cursor)}` : ""}`);
      all.push(...data.items);
      cursor = data.next_cursor;
    } while (cursor && all.length < 5000);
  }

  function show() {
    clear(results);
    const q = query.value.trim().toLowerCase();
    const found = all.filter((c) => !q || [c.customer_id, c.name, c.segment].some((v) => (v || "").toLowerCase().includes(q)));
    results.append(
      h(
        "table",
        { class: "card" },
        h("caption", { class: "hint" }, `${found.length} of ${plural(all.length, "customer")}`),
        h("thead", {}, h("tr", {}, h("th", {}, "Customer"), h("th", {}, "Name"), h("th", {}, "Segment"), h("th", {}, ""))),
        h(
          "tbody",
          {},
          found.slice(0, 200).map((c) =>
            h(
              "tr",
              {},
              h("td", {}, c.customer_id),
              h("td", {}, c.name || ""),
              h("td", {}, c.segment || ""),
              h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `${me.canEdit ? "Edit" : "View"} ${c.name || c.customer_id}`, onclick: () => edit(c, false) }, me.canEdit ? "Edit" : "View")),
            ),
          ),
        ),
      ),
    );
  }

  function edit(customer, creating) {
    clear(editorBox);
    const readOnly = !me.canEdit;
    const idInput = creating ? h("input", { name: "customer_id", id: "customer-id", autocomplete: "off", spellcheck: "false", placeholder: "+14155550100" }) : null;
    const override = h("textarea", { name: "prompt_override", id: "customer-override", rows: 3, readonly: readOnly });
    override.value = customer.prompt_override || "";
    const confirmHost = h("div", { id: "customer-delete-confirm" });
    const name = h("input", { name: "name", value: customer.name || "", readonly: readOnly });
    const segment = h("input", { name: "segment", value: customer.segment || "", readonly: readOnly });
    const variables = h("textarea", { name: "variables", rows: 3, readonly: readOnly });
    variables.value = Object.entries(customer.variables || {}).map(([k, v]) => `${k} = ${v}`).join("\n");
    const addendum = h("textarea", { name: "prompt_addendum", rows: 3, readonly: readOnly });
    addendum.value = customer.prompt_addendum || "";
    const message = h("div", { hidden: true });
    const form = h(
      "form",
      { class: "card", "aria-label": `Customer ${customer.customer_id}`, novalidate: true },
      h("h3", {}, creating ? "New customer" : `Customer ${customer.name || customer.customer_id}`),
      creating ? field("Phone number", idInput, "with the country code, e.g. +14155550100") : h("p", { class: "muted" }, customer.customer_id),
      field("Name", name),
      field("Segment", segment, "a group your rules can single out, e.g. vip"),
      field("Variables", variables, "one per line: name = value, e.g. dentist = Dr. Patel"),
      field("Prompt addendum", addendum, "added to the prompt for this caller"),
      field("Prompt override", override, "optional: used instead of the profile's prompt for this caller"),
      message,
      readOnly
        ? null
        : h(
            "div",
            { class: "actions" },
            h("button", { type: "submit", id: "customer-save" }, creating ? "Add customer" : "Save customer"),
            creating ? null : h("button", { type: "button", class: "secondary", id: "customer-delete", onclick: () => askDelete() }, "Delete customer"),
          ),
      confirmHost,
    );
    function askDelete() {
      const label = `customer ${customer.name || customer.customer_id}`;
      confirmDelete(confirmHost, {
        name: label,
        id: "customer-delete",
        consequence: "Their calls are answered as any unknown caller's within about a minute. There is no draft to undo this.",
        onConfirm: async () => {
          try {
            await api("DELETE", `/customers/${encode(customer.customer_id)}`, { ifMatch: customer.version });
          } catch (error) {
            clear(confirmHost);
            showMessage(message, refusal(error, label), "error");
            return;
          }
          all = all.filter((c) => c.customer_id !== customer.customer_id);
          clear(editorBox);
          show();
          showMessage(exportMessage, `${sentence(`${label} deleted`)}`);
          announce(`${label} deleted`);
        },
      });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const vars = {};
      for (const line of variables.value.split("\n")) {
        if (!line.trim()) continue;
        const at = line.indexOf("=");
        if (at < 1) {
          showFieldErrors(form, { variables: ["write name = value, one per line"] }, message);
          return;
        }
        vars[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      const body = { ...withoutBookkeeping(customer), name: name.value.trim() || null, segment: segment.value.trim() || null, variables: vars, prompt_addendum: addendum.value.trim() || null, prompt_override: override.value.trim() || null };
      if (creating) {
        body.customer_id = idInput.value.trim();
        if (!E164.test(body.customer_id)) {
          showFieldErrors(form, { customer_id: ["Write the full number with + and the country code, e.g. +14155550100."] }, message);
          return;
        }
      }
      try {
        const id = body.customer_id;
        const { data } = await api("PUT", `/customers/${encode(id)}`, creating ? { body, create: true } : { body, ifMatch: customer.version });
        Object.assign(customer, data.item);
        if (creating) all.push(customer);
        showMessage(message, creating ? "Customer added. Their calls use it within about a minute." : "Saved. Their calls use it within about a minute.");
        announce(creating ? "Customer added" : "Customer saved");
        show();
        if (creating) edit(customer, false);
      } catch (error) {
        if (creating && error instanceof ApiError && error.code === "already_exists") {
          showFieldErrors(form, { customer_id: [`A customer with number ${body.customer_id} already exists: find them in the list above to change them.`] }, message);
          showMessage(message, `A customer with number ${body.customer_id} already exists. Find them in the list above to change them.`, "error");
        } else if (error instanceof ApiError && error.status === 412 && error.body.current) {
          // Keep the admin's edits in the form and show the other change beside them; saving again keeps the admin's.
          const theirs = error.body.current;
          customer.version = theirs.version;
          showMessage(message, `Someone else saved this customer while you edited. Your edits are still in the form: "Save customer" again keeps yours; their version is below.`, "error");
          message.append(h("ul", { class: "conflict-theirs" }, inWords(theirs).map((line) => h("li", {}, line))));
        } else if (error instanceof ApiError && Object.keys(error.fields).length) {
          showFieldErrors(form, error.fields, message);
          if (!message.textContent) showMessage(message, error.message, "error");
        } else {
          showMessage(message, refusal(error, creating ? `a customer with number ${body.customer_id}` : "this customer"), "error");
        }
      }
    });
    editorBox.append(form);
    (readOnly ? form.querySelector("h3") : idInput || name).focus();
  }

  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  try {
    await loadAll();
    show();
  } catch (error) {
    results.append(h("p", { class: "error", role: "alert" }, error.message));
  }
}

function importCard() {
  const file = h("input", { type: "file", name: "file", id: "import-file", accept: ".csv,text/csv" });
  const text = h("textarea", { name: "csv", id: "import-csv", rows: 6, spellcheck: "false", placeholder: "customer_id,name,segment\n+14155550100,Jane Doe,vip" });
  const message = h("div", { id: "import-message", hidden: true });
  const errors = h("ul", { id: "import-errors", class: "error" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Import customers", novalidate: true },
    h("h3", {}, "Import customers (CSV)"),
    h("p", { class: "hint" }, "All or nothing: when a line is wrong, nothing is written and each problem is listed by line."),
    field("CSV file", file),
    field("…or paste CSV", text),
    message,
    errors,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "import-run" }, "Import")),
  );
  file.addEventListener("change", async () => {
    if (file.files && file.files[0]) text.value = await file.files[0].text();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(errors);
    clearFieldErrors(form);
    showMessage(message, "");
    try {
      const { data } = await api("POST", "/customers/import", { body: { csv: text.value } });
      showMessage(message, `Imported: ${data.created} created, ${data.updated} updated.`);
      announce("Import done");
    } catch (error) {
      showMessage(message, error.message, "error");
      const fields = error.fields || {};
      const lines = Object.keys(fields).sort((a, b) => (parseInt(a.replace(/\D/g, ""), 10) || 0) - (parseInt(b.replace(/\D/g, ""), 10) || 0));
      for (const key of lines) errors.append(h("li", {}, `${key}: ${[].concat(fields[key]).join("; ")}`));
      if (lines.length) {
        text.setAttribute("aria-invalid", "true");
        text.focus();
      }
    }
  });
  return form;
}

// The customers as a CSV file (the columns an import reads back), through the tenant API with the user's token.
async function exportCsv(message) {
  showMessage(message, "");
  let response;
  try {
    response = await fetch(`${config.apiBase}/customers/export`, { headers: { Authorization: `Bearer ${currentToken()}`, Accept: "text/csv" }, cache: "no-store" });
  } catch {
    showMessage(message, "The console could not reach Switchboard. Check your connection and try again.", "error");
    return;
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("console:unauthorized"));
  if (!response.ok) {
    let text = "";
    try {
      text = (await response.json()).message || "";
    } catch {
      text = "";
    }
    showMessage(message, sentence(text || "The download failed. Try again in a moment."), "error");
    return;
  }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "customers.csv";
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  showMessage(message, "Downloaded customers.csv: it opens in any spreadsheet, and can be imported back.");
}
