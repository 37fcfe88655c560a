// Signing in. The ID token lives in sessionStorage: this tab only, gone when it closes, never sent by the browser on
// its own (so no CSRF), and the strict CSP (scripts from this origin only, no inline script) is what keeps other
// scripts away from it. Locally, the tenant picker (any tenant of the run) and "Sign in as the <tenant> admin" ask the
// local run's token issuer; in AWS, Cognito's managed login (authorization code + PKCE, public client, no secret).

export const config = JSON.parse(document.getElementById("config").textContent);

const TOKEN_KEY = "switchboard.console.idToken";
const PKCE_KEY = "switchboard.console.pkce";

function base64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

export function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export function currentToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const claims = token ? claimsOf(token) : null;
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now() + 10000)) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

export function whoAmI() {
  const token = currentToken();
  const claims = token ? claimsOf(token) : null;
  if (!claims) return null;
  const groups = [].concat(claims["cognito:groups"] || []);
  return {
    tenant: claims["custom:tenant_id"],
    name: claims.email || claims.sub,
    canEdit: groups.includes("tenant-admin"),
  };
}

function redirectUri() {
  return `${window.location.origin}/console`;
}

function pickedTenant() {
  const picker = document.getElementById("sign-in-tenant");
  return (picker && picker.value) || config.auth.tenantId || "demo";
}

function labelLocalButtons() {
  for (const button of document.querySelectorAll("#sign-in button[data-role]")) {
    button.textContent = `Sign in as the ${pickedTenant()} ${button.dataset.role}`;
  }
}

// Local run only: the picker lists the run's tenants (by name, with their id), the demo tenant chosen first.
export async function fillTenantPicker() {
  const picker = document.getElementById("sign-in-tenant");
  if (config.auth.mode !== "local" || !picker) return;
  picker.addEventListener("change", labelLocalButtons);
  const response = await fetch("/local/tenants");
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !Array.isArray(body.tenants)) {
    throw new Error("The local run did not list its tenants, so only the demo tenant is offered. Restart make run.");
  }
  const chosen = pickedTenant();
  picker.replaceChildren(
    ...body.tenants.map(({ tenant_id: id, display_name: name }) => {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = name && name !== id ? `${name} (${id})` : id;
      option.selected = id === chosen;
      return option;
    }),
  );
  labelLocalButtons();
}

export async function signInLocal(role) {
  const response = await fetch("/local/tenant-token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ tenant_id: pickedTenant(), role }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.token) throw new Error(body.message || "The local run refused the sign-in. Restart make run and try again.");
  sessionStorage.setItem(TOKEN_KEY, body.token);
}

export async function signInCognito() {
  const verifier = randomString(48);
  const state = randomString(16);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.auth.clientId,
    redirect_uri: redirectUri(),
    scope: config.auth.scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  window.location.assign(`${config.auth.domain}/oauth2/authorize?${query}`);
}

// Back from Cognito with ?code=...&state=...: swap the code (and the PKCE verifier) for tokens, keep the ID token.
export async function finishCognitoSignIn() {
  const params = new URLSearchParams(window.location.search);
  if (config.auth.mode !== "cognito" || (!params.has("code") && !params.has("error"))) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  window.history.replaceState(null, "", redirectUri());
  if (params.has("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!saved || saved.state !== params.get("state")) throw new Error("the sign-in answer did not match this tab's request; sign in again");
  const response = await fetch(`${config.auth.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.auth.clientId,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !tokens.id_token) throw new Error(tokens.error || "Cognito refused the sign-in");
  sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (config.auth.mode === "cognito") {
    const query = new URLSearchParams({ client_id: config.auth.clientId, logout_uri: redirectUri() });
    window.location.assign(`${config.auth.domain}/logout?${query}`);
  }
}
