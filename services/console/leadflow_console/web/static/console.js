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

function scrollableByKeyboard() {
  // A table wider than the screen scrolls inside its box: a keyboard user reaches the box with
  // Tab and scrolls it with the arrow keys (WCAG 2.1.1). Only boxes that do scroll get a tab stop.
  for (const box of document.querySelectorAll(".table-wrap, section.card")) {
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
  for (const region of document.querySelectorAll("[data-stream]")) live(region);
  scrollableByKeyboard();
  window.addEventListener("resize", scrollableByKeyboard);
  countdowns();
  setInterval(countdowns, 1000);
});
