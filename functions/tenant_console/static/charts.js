// Small inline-SVG charts drawn here (no library): each has a title and a description for screen readers, and the
// numbers stay readable in a table beside it. Colours are SVG attributes (the CSP allows no inline style).
const NS = "http://www.w3.org/2000/svg";
const COLORS = { web: "#1d5fbf", phone: "#e07a10", bar: "#1d5fbf", fallback: "#b42318", muted: "#9aa5b4" };
let chartId = 0;

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(width, height, title, description) {
  chartId += 1;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-labelledby": `chart-${chartId}-t chart-${chartId}-d`, class: "chart" });
  svg.append(s("title", { id: `chart-${chartId}-t` }, title), s("desc", { id: `chart-${chartId}-d` }, description));
  return svg;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

// Whole-number axis ticks for counts: a step of 1, 2 or 5 (times a power of ten), about four of them.
function countTicks(max) {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough);
  const top = Math.max(step, step * Math.ceil(max / step));
  const ticks = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return { top, ticks };
}

// Sessions per day, stacked by channel; with `link`, each day's bar links to link(day) (that day's calls).
export function stackedDaily(daily, title, { link } = {}) {
  const width = 640;
  const height = 240;
  const pad = { left: 40, right: 10, top: 12, bottom: 42 };
  const { top: max, ticks } = countTicks(Math.max(1, ...daily.map((d) => (d.web || 0) + (d.phone || 0))));
  const description = daily.map((d) => `${d.day}: ${d.web || 0} web, ${d.phone || 0} phone`).join("; ");
  const svg = frame(width, height, title, description || "no sessions");
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  for (const value of ticks) {
    svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(s("text", { x: pad.left - 6, y: y(value) + 4, "text-anchor": "end" }, String(value)));
  }
  const band = plotW / Math.max(1, daily.length);
  daily.forEach((d, i) => {
    const x = pad.left + i * band + band * 0.15;
    const w = band * 0.7;
    const web = d.web || 0;
    const phone = d.phone || 0;
    const group = link ? s("a", { class: "bar", "data-day": d.day, href: link(d.day) }) : s("g", { class: "bar", "data-day": d.day });
    group.append(s("title", {}, `${d.day}: ${web} web, ${phone} phone${d.fallbacks ? `, ${d.fallbacks} fell back` : ""}${link ? " (show that day's calls)" : ""}`));
    group.append(s("rect", { x, width: w, y: y(web), height: y(0) - y(web), fill: COLORS.web }));
    group.append(s("rect", { x, width: w, y: y(web + phone), height: y(web) - y(web + phone), fill: COLORS.phone }));
    svg.append(group);
    svg.append(s("text", { x: x + w / 2, y: height - pad.bottom + 16, "text-anchor": "middle" }, String(d.day).slice(5)));
  });
  svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: "axis" }));
  return svg;
}

// Horizontal bars: [{label, value, text}] with value in [0, max].
export function horizontalBars(rows, title, { max, color = COLORS.bar, width = 640 } = {}) {
  const rowH = 26;
  const labelW = Math.round(width * 0.28);
  const height = Math.max(1, rows.length) * rowH + 8;
  const top = niceMax(max ?? Math.max(0, ...rows.map((r) => r.value)));
  const svg = frame(width, height, title, rows.map((r) => `${r.label}: ${r.text ?? r.value}`).join("; ") || "nothing to show");
  rows.forEach((row, i) => {
    const y = 4 + i * rowH;
    const w = top ? ((width - labelW - 90) * row.value) / top : 0;
    svg.append(s("text", { x: labelW - 8, y: y + 16, "text-anchor": "end" }, row.label));
    svg.append(s("rect", { x: labelW, y: y + 4, width: Math.max(w, row.value ? 2 : 0), height: rowH - 10, fill: row.color || color, rx: 2 }));
    svg.append(s("text", { x: labelW + w + 6, y: y + 16 }, row.text ?? String(row.value)));
  });
  return svg;
}

export { COLORS };
