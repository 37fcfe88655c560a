// Customers (live records, no publish needed): find, edit, and import a CSV with errors by line.
import { api, ApiError, encode, withoutBookkeeping } from "./api.js";
import { announce, clear, clearFieldErrors, field, h, pretty, showFieldErrors, showMessage } from "./ui.js";

export async function customersView(container, { me }) {
  container.append(h("h2", {}, "Customers"), h("p", { class: "hint" }, "Customer records are live: a change reaches calls within about a minute, without publishing."));
  const query = h("input", { type: "search", name: "q", id: "customer-search", placeholder: "name, number or segment" });
  const results = h("div", { id: "customer-results" });
  const editorBox = h("div");
  const searchForm = h("form", { class: "card", role: "search", "aria-label": "Find customers" }, field("Find a customer", query), h("div", { class: "actions" }, h("button", { type: "submit" }, "Find")));
  container.append(searchForm, results, editorBox);
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
        h("caption", { class: "hint" }, `${found.length} of ${all.length} customers`),
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
              h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `${me.canEdit ? "Edit" : "View"} ${c.name || c.customer_id}`, onclick: () => edit(c) }, me.canEdit ? "Edit" : "View")),
            ),
          ),
        ),
      ),
    );
  }

  function edit(customer) {
    clear(editorBox);
    const readOnly = !me.canEdit;
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
      h("h3", {}, `Customer ${customer.customer_id}`),
      field("Name", name),
      field("Segment", segment),
      field("Variables", variables, "one per line: name = value"),
      field("Prompt addendum", addendum, "added to the prompt for this caller"),
      message,
      readOnly ? null : h("div", { class: "actions" }, h("button", { type: "submit" }, "Save customer")),
    );
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
      const body = { ...withoutBookkeeping(customer), name: name.value.trim() || null, segment: segment.value.trim() || null, variables: vars, prompt_addendum: addendum.value.trim() || null };
      try {
        const { data } = await api("PUT", `/customers/${encode(customer.customer_id)}`, { body, ifMatch: customer.version });
        Object.assign(customer, data.item);
        showMessage(message, data.effective || "Saved.");
        announce("Customer saved");
        show();
      } catch (error) {
        if (error instanceof ApiError && error.status === 412 && error.body.current) {
          // Keep the admin's edits in the form and show the other change beside them; saving again keeps the admin's.
          const theirs = error.body.current;
          customer.version = theirs.version;
          showMessage(message, `Someone else saved this customer (version ${theirs.version}) while you edited. Your edits are still in the form: "Save customer" again keeps yours; their version is below.`, "error");
          message.append(h("pre", { class: "conflict-theirs" }, pretty(theirs)));
        } else if (error instanceof ApiError && Object.keys(error.fields).length) {
          showFieldErrors(form, error.fields, message);
          if (!message.textContent) showMessage(message, error.message, "error");
        } else {
          showMessage(message, error.message, "error");
        }
      }
    });
    editorBox.append(form);
    (readOnly ? form.querySelector("h3") : name).focus();
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
