// The tenant API, and nothing else: every read and write of the console goes through /tenant/v1 with the user's token.
import { config, currentToken } from "./auth.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(sentence((body && body.message) || fallbackMessage(status)));
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || "";
    this.fields = this.body.fields || {};
  }
}

export async function api(method, path, { body, ifMatch, create } = {}) {
  const headers = { Accept: "application/json" };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
  if (create) headers["If-None-Match"] = "*";
  let response;
  try {
    response = await fetch(`${config.apiBase}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { error: "network", message: "Switchboard could not be reached: check your connection, then try again." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("console:unauthorized"));
  if (!response.ok) throw new ApiError(response.status, data);
  const etag = (response.headers.get("ETag") || "").replace(/"/g, "");
  return { status: response.status, data, etag };
}

export const encode = encodeURIComponent;

export const BOOKKEEPING = ["version", "updated_at", "updated_by"];

// An item as read, without the bookkeeping a write does not take (the version goes in If-Match).
export function withoutBookkeeping(item) {
  const copy = { ...item };
  for (const key of BOOKKEEPING) delete copy[key];
  return copy;
}

// What went wrong, in words, when an answer carries no message of its own (no status codes shown).
function fallbackMessage(status) {
  if (status === 401) return "Your sign-in has expired: sign in again.";
  if (status === 403) return "Your role does not allow this: ask one of your tenant's admins.";
  if (status === 404) return "This is no longer there: it may have been deleted. Reload the page.";
  if (status === 409 || status === 412) return "Someone else changed this meanwhile: reload the page and make your change again.";
  if (status >= 500) return "Switchboard could not do this just now: try again in a moment.";
  return "Something went wrong: reload the page and try again.";
}

// The API's messages are clauses ("the draft has 2 unpublished changes; ..."): shown as sentences.
function sentence(text) {
  const trimmed = String(text).trim();
  if (!trimmed) return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}
