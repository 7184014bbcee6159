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
    countdowns();
  });
  window.addEventListener("pagehide", () => source.close());
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

document.addEventListener("DOMContentLoaded", () => {
  browserZone();
  for (const region of document.querySelectorAll("[data-stream]")) live(region);
  countdowns();
  setInterval(countdowns, 1000);
});
