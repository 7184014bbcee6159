// Leadflow console: live regions fed by Server-Sent Events, and SLA countdowns. No inline
// script anywhere (the Content-Security-Policy allows only this file).
"use strict";

function countdowns() {
  const now = Date.now();
  for (const el of document.querySelectorAll("time.countdown")) {
    const left = Math.round((Date.parse(el.getAttribute("datetime")) - now) / 1000);
    if (Number.isNaN(left)) continue;
    if (left <= 0) { el.textContent = "now (overdue)"; el.classList.add("late"); continue; }
    const minutes = Math.floor(left / 60), seconds = left % 60;
    el.textContent = `${minutes}:${String(seconds).padStart(2, "0")}`;
  }
}

function live(region) {
  // The server sends the region's new HTML whenever it changed; the browser reconnects by itself.
  const source = new EventSource(region.dataset.stream);
  source.addEventListener(region.dataset.event, (message) => {
    // What the reader had opened stays open across the redraw.
    const open = [...region.querySelectorAll("details[open][id]")].map((el) => el.id);
    region.innerHTML = message.data;
    for (const id of open) document.getElementById(id)?.setAttribute("open", "");
    region.dataset.updated = String(Date.now());
    scrollableByKeyboard();
    countdowns();
  });
  window.addEventListener("pagehide", () => source.close());
}

function addRowButtons() {
  // The rules form works without this (it always has empty rows to fill); with it, a list can
  // grow without a round trip: the last row is copied empty, under the next free index.
  for (const table of document.querySelectorAll("table.rule-rows")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "add-row";
    button.textContent = `Add a row to ${table.caption.textContent.split(" (")[0].toLowerCase()}`;
    button.addEventListener("click", () => addRow(table));
    table.after(button);
  }
}

function addRow(table) {
  const rows = table.tBodies[0].rows;
  const last = rows[rows.length - 1];
  const index = (name) => Number(name.split(".")[2]);
  const next = Math.max(...[...table.querySelectorAll("[name]")].map((el) => index(el.name))) + 1;
  const row = last.cloneNode(true);
  row.querySelectorAll(".field-error").forEach((el) => el.remove());
  row.querySelector("td:last-child").replaceChildren();  // nothing to remove in an empty row
  for (const field of row.querySelectorAll("input, select")) {
    const parts = field.name.split(".");
    parts[2] = String(next);
    field.name = parts.join(".");
    field.id = parts.join("-");
    field.value = "";
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
  for (const label of row.querySelectorAll("label")) {
    label.htmlFor = label.nextElementSibling.id;
    label.textContent = label.textContent.replace(/\d+ \((B2B|B2C)\)$/, `${next + 1} ($1)`);
  }
  last.after(row);
  row.querySelector("input, select").focus();
}

function browserZone() {
  // The browser's time zone, for the server to show times in when the person chose none.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  const cookie = `leadflow_browser_zone=${zone}`;  // IANA names need no escaping in a cookie
  if (!document.cookie.split("; ").includes(cookie)) {
    document.cookie = `${cookie}; path=/; max-age=31536000; samesite=lax`;
  }
}

function scrollableByKeyboard() {
  // A table wider than the screen scrolls inside its box: a keyboard user reaches the box with
  // Tab and scrolls it with the arrow keys (WCAG 2.1.1). Only boxes that do scroll get a tab stop.
  for (const box of document.querySelectorAll(".table-wrap, section.card, table.rule-rows")) {
    if (box.scrollWidth <= box.clientWidth || box.hasAttribute("tabindex")) continue;
    box.tabIndex = 0;
    if (box.tagName !== "SECTION") box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      const heading = box.querySelector("h2, h3, caption");
      box.setAttribute("aria-label", heading ? heading.textContent.trim() : "Table");
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  browserZone();
  for (const region of document.querySelectorAll("[data-stream]")) live(region);
  addRowButtons();
  scrollableByKeyboard();
  window.addEventListener("resize", scrollableByKeyboard);
  countdowns();
  setInterval(countdowns, 1000);
});
