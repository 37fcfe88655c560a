// The tenant's time: every time the console shows is in the tenant's time zone with the zone named, and "now" for an
// input is now there, whatever the browser's own clock zone. The zone is the tenant's settings' (GET /settings), read
// again before each view is drawn so that a changed setting shows at once.
import { api } from "./api.js";

let zone = "UTC";
const formats = new Map();

function format(options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat("en-US", { timeZone: zone, ...options }));
  return formats.get(key);
}

function validZone(name) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// Reads the tenant's zone; on any failure keeps the one it had (UTC before the first read).
export async function loadTenantZone() {
  try {
    const settings = (await api("GET", "/settings")).data || {};
    if (settings.timezone && validZone(settings.timezone)) zone = settings.timezone;
  } catch {
    // The view itself reports what failed; times stay in the last known zone, still named.
  }
  return zone;
}

export function tenantZone() {
  return zone;
}

function parts(date, options) {
  const out = {};
  for (const part of format(options).formatToParts(date)) out[part.type] = part.value;
  return out;
}

const NUMERIC = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

// "Tue, Dec 1, 2026, 10:42 AM EST": a time in the tenant's zone, with the zone's short name.
export function formatInZone(value, { seconds = false, weekday = true } = {}) {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return format({
    weekday: weekday ? "short" : undefined,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    second: seconds ? "2-digit" : undefined,
    timeZoneName: "short",
  }).format(date);
}

// "10:42 AM EST": the time of day only, with the zone.
export function clockInZone(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value || "");
  return format({ hour: "numeric", minute: "2-digit", timeZoneName: "short" }).format(date);
}

// "2026-12-01": the tenant's calendar day of a moment.
export function dayInZone(value = new Date()) {
  const p = parts(value instanceof Date ? value : new Date(value), NUMERIC);
  return `${p.year}-${p.month}-${p.day}`;
}

// "2026-12-01T10:42": now in the tenant's zone, as a datetime-local input takes it.
export function nowInZone(now = new Date()) {
  const p = parts(now, NUMERIC);
  return `${p.year}-${p.month}-${p.day}T${p.hour === "24" ? "00" : p.hour}:${p.minute}`;
}

// "America/New_York (EST)": the zone as a sentence names it.
export function zoneLabel(now = new Date()) {
  const short = parts(now, { timeZoneName: "short", hour: "numeric" }).timeZoneName;
  return short && short !== zone ? `${zone.replace(/_/g, " ")} (${short})` : zone.replace(/_/g, " ");
}
