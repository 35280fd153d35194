// A tiny element builder: text is always set as text, never parsed as HTML.

/** Build an element: h("p", {class: "x", onclick: fn}, "text", child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** "08:30" from an ISO time with offset (the service's local time, as the API sends it). */
export function clockTime(iso) {
  return iso ? iso.slice(11, 16) : "";
}

/** "Monday 23 November" from YYYY-MM-DD. */
export function longDate(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString("en-GB",
    { weekday: "long", day: "numeric", month: "long" });
}
