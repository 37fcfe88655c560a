// The console's entry point: sign-in, the section navigation (#profiles, #rules, ...) and focus management.
import { config, fillTenantPicker, finishCognitoSignIn, forgetToken, signInCognito, signInLocal, signOut, whoAmI } from "./auth.js";
import { announce, clear, focusHeading } from "./ui.js";
import { customersView } from "./customers.js";
import { callsView } from "./calls.js";
import { draftView } from "./publishing.js";
import { profilesView } from "./profiles.js";
import { rulesView } from "./rules.js";
import { loadTenantZone } from "./time.js";
import { settingsView } from "./settings.js";

import { showUsageBanner, usageView } from "./usage.js";

const VIEWS = { profiles: profilesView, rules: rulesView, customers: customersView, settings: settingsView, draft: draftView, calls: callsView, usage: usageView };
const TITLES = { profiles: "Profiles", rules: "Rules", customers: "Customers", settings: "Settings", draft: "Draft & history", calls: "Calls", usage: "Usage" };
const $ = (id) => document.getElementById(id);

function signInError(message) {
  const box = $("sign-in-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function showSignedOut(message) {
  $("sign-in").hidden = false;
  $("nav").hidden = true;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  clear($("view"));
  signInError(message);
  const first = $("sign-in").querySelector("button");
  if (first) first.focus();
}

let rendering = 0;
async function render() {
  const me = whoAmI();
  if (!me) {
    showSignedOut("");
    return;
  }
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  const who = $("who");
  who.hidden = false;
  who.textContent = `${me.name} · tenant ${me.tenant} · ${me.canEdit ? "admin" : "viewer (read only)"}`;
  showUsageBanner(); // not awaited: the page does not wait for the usage banner
  const name = (window.location.hash || "#profiles").slice(1).split("/")[0];
  const view = VIEWS[name] ? name : "profiles";
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[view]} · Switchboard console`;
  // Each render gets its own element: a slower, older view that finishes late fills a detached one.
  const container = document.createElement("div");
  // aria-busy until the latest view has drawn, then data-drawn names the address it drew: assistive technology
  // and the browser tests wait for both.
  const ticket = ++rendering;
  const address = window.location.hash;
  $("view").setAttribute("aria-busy", "true");
  $("view").replaceChildren(container);
  try {
    await loadTenantZone(); // every view shows times in the tenant's zone
    await VIEWS[view](container, { me, ticket: () => ticket === rendering });
  } finally {
    if (ticket === rendering) {
      $("view").setAttribute("aria-busy", "false");
      $("view").dataset.drawn = address;
      focusHeading(container);
    }
  }
}

async function start() {
  for (const button of document.querySelectorAll("#sign-in button[data-role]")) {
    button.addEventListener("click", async () => {
      try {
        await signInLocal(button.dataset.role);
        announce(`Signed in as the ${whoAmI().tenant} ${button.dataset.role}`);
        await render();
      } catch (error) {
        signInError(error.message);
      }
    });
  }
  const cognito = $("sign-in-cognito");
  if (cognito) cognito.addEventListener("click", () => signInCognito().catch((error) => signInError(error.message)));
  $("sign-out").addEventListener("click", () => {
    signOut();
    announce("Signed out");
    showSignedOut("");
  });
  window.addEventListener("hashchange", () => render());
  window.addEventListener("console:unauthorized", () => {
    forgetToken();
    showSignedOut("Your session has ended: sign in again.");
  });
  try {
    await finishCognitoSignIn();
  } catch (error) {
    signInError(error.message);
  }
  await fillTenantPicker().catch((error) => signInError(error.message));
  document.body.dataset.auth = config.auth.mode;
  await render();
  document.body.dataset.ready = "true";
}

start();
