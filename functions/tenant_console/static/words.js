// Numbers in words a clinic manager reads: counts with the right plural, money, durations.

// plural(1, "session") -> "1 session"; plural(2, "session") -> "2 sessions"; plural(2, "reply", "replies").
export function plural(count, one, many = `${one}s`) {
  const n = Number(count) || 0;
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

export function money(cents) {
  return `$${((Number(cents) || 0) / 100).toFixed(2)}`;
}

// 185 -> "3 min 5 s"; 42 -> "42 s"; 3600 -> "1 h 0 min".
export function duration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

export function sentence(text) {
  const value = String(text || "");
  return value ? `${value[0].toUpperCase()}${value.slice(1)}` : value;
}
