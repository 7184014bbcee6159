// Leadflow console: live regions fed by Server-Sent Events, and SLA countdowns. No inline
// script anywhere (the Content-Security-Policy allows only this file).
"use strict";

// How far the phone's clock is from the server's: the server's time as it drew the page, against
// the phone's as the answer began to arrive (not as the script ran: a slow phone's seconds of
// parsing would count the offer's time as longer than it is). A phone set minutes off counted an
// offer's time wrong, and disabled its Accept while the offer was open, or kept it past its end.
let clockOffset = 0;

function serverClock() {
  const drawn = Date.parse(document.body.dataset.serverNow ?? "");
  if (Number.isNaN(drawn)) return;
  const [navigation] = performance.getEntriesByType?.("navigation") ?? [];
  const arrived = navigation ? performance.timeOrigin + navigation.responseStart : Date.now();
  clockOffset = drawn - arrived;
}

function serverNow() {
  return Date.now() + clockOffset;
}

function countdowns() {
  const now = serverNow();
  for (const el of document.querySelectorAll("time.countdown")) {
    const left = Math.round((Date.parse(el.getAttribute("datetime")) - now) / 1000);
    if (Number.isNaN(left)) continue;
    if (left <= 0) {
      // The offer is moving on (routing's sweeper, at its deadline): nothing here can take it now,
      // and a page that has lost its stream would otherwise keep a live Accept on a dead offer.
      el.textContent = "no time: the offer is moving on";
      el.classList.add("late");
      const offer = el.closest("li.offer") ?? el.closest("section");  // a card, or the lead page's
      for (const button of offer?.querySelectorAll(".actions button") ?? []) button.disabled = true;
      continue;
    }
    const minutes = Math.floor(left / 60), seconds = left % 60;
    el.textContent = `${minutes}:${String(seconds).padStart(2, "0")}`;
  }
}

function waitedClocks() {
  // How long each queued lead has waited, kept current here (a redraw each second would not be).
  const now = serverNow();
  for (const el of document.querySelectorAll("time.since")) {
    const seconds = Math.max(0, Math.round((now - Date.parse(el.getAttribute("datetime"))) / 1000));
    if (Number.isNaN(seconds)) continue;
    el.textContent = seconds < 120 ? `${seconds} s`
      : seconds < 7200 ? `${Math.floor(seconds / 60)} min`
      : `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  }
}

// The boxes a wide table scrolls sideways in (console.css), in the order a region holds them.
const SCROLLERS = ".table-wrap, section.card";

function live(region) {
  // The server sends the region's new HTML whenever it changed; the browser reconnects by itself.
  const source = new EventSource(region.dataset.stream);
  // Whether the region is following the present right now (the page drew it; the stream sends
  // only what changes after), said on the page: a rep acts on what the screen says, so a screen
  // that stopped following must say so (a lost connection, or a sign-out in another tab).
  const status = liveStatus(region);
  const spoken = sayLine(region);
  let lost = false;
  source.addEventListener("open", () => {
    region.dataset.listening = "true";
    if (lost) say(status, "Live again: this page shows the present.", "ok");
    lost = false;
  });
  source.addEventListener("error", () => {
    delete region.dataset.listening;
    lost = true;
    if (source.readyState === EventSource.CLOSED) {  // refused (signed out): no retry comes
      say(status, "This page stopped following changes: you may have been signed out, or have too many live pages open.", "problem", true);
    } else {
      say(status, "Not live: reconnecting. What this page shows may be out of date.", "problem");
    }
  });
  // A region with no more to follow (a lead no longer hers, an account gone) says so once and
  // ends: closed here, or the browser would open it again every few seconds.
  source.addEventListener("end", () => {
    source.close();
    delete region.dataset.listening;
    region.dataset.ended = "true";
  });
  source.addEventListener(region.dataset.event, (message) => {
    // What the reader had opened, chosen or typed and not sent yet (a reason to pass on a lead)
    // stays across the redraw, and so does the focus: a redraw that lands between choosing and
    // clicking must not send the form's default instead.
    const open = [...region.querySelectorAll("details[open][id]")].map((el) => el.id);
    const unsent = unsentFields(region);
    const focused = region.contains(document.activeElement) ? document.activeElement.id : "";
    // A table scrolled sideways (a phone) stays where the reader took it, not back at its start.
    const scrolled = scrollOf(region);
    const asking = [...region.querySelectorAll("button[data-confirming='yes'][id]")].map(
      (button) => [button.id, Number(button.dataset.askedAt)]);
    region.innerHTML = message.data;
    for (const id of open) document.getElementById(id)?.setAttribute("open", "");
    restoreFields(unsent);
    if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
    for (const [key, box] of scrollKeys(region)) {
      if (scrolled.get(key)) box.scrollLeft = scrolled.get(key);
    }
    for (const [id, askedAt] of asking) {
      const button = document.getElementById(id);
      if (button && Date.now() - askedAt < ASK_FOR_MS) askOutcome(button, askedAt, true);
    }
    spoken.update();
    region.dataset.updated = String(Date.now());
    scrollableByKeyboard();
    countdowns();
  });
  window.addEventListener("pagehide", () => source.close());
}

function scrollKeys(region) {
  // Each sideways-scrolling box of a region by a key a redraw keeps: its id, or its kind and
  // place among its kind (a box that comes or goes, such as a lead page's "your move" card,
  // must not hand its scroll to the next one).
  const seen = new Map();
  return [...region.querySelectorAll(SCROLLERS)].map((box) => {
    const kind = box.className;
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    return [box.id || `${kind}#${seen.get(kind)}`, box];
  });
}

function scrollOf(region) {
  return new Map(scrollKeys(region).map(([key, box]) => [key, box.scrollLeft]));
}

function sayLine(region) {
  // A region too large to be read aloud at each redraw (aria-live off) may name, in an element
  // marked data-say, the one line a listener needs ("4 waiting"): read when it changes.
  const line = document.createElement("p");
  line.className = "visually-hidden";
  line.setAttribute("aria-live", "polite");
  region.after(line);
  let said = region.querySelector("[data-say]")?.textContent.trim() ?? "";
  return {
    update() {
      const now = region.querySelector("[data-say]")?.textContent.trim() ?? "";
      if (now && now !== said) line.textContent = now;
      said = now;
    },
  };
}

function liveStatus(region) {
  // A line above the region saying when it is not following the present.
  const status = document.createElement("p");
  status.className = "live-status";
  status.setAttribute("role", "status");
  status.hidden = true;
  region.before(status);
  return status;
}

function say(status, text, kind, withReload = false) {
  status.replaceChildren(text);
  if (withReload) {
    const reload = document.createElement("a");
    reload.href = window.location.pathname + window.location.search;
    reload.textContent = "Reload";
    status.append(" ", reload);
  }
  status.className = `live-status ${kind}`;
  status.hidden = false;
  if (kind === "ok") setTimeout(() => { if (status.classList.contains("ok")) status.hidden = true; }, 4000);
}

function unsentFields(region) {
  // Fields (by id) whose value the reader changed from what the server rendered.
  const changed = new Map();
  for (const field of region.querySelectorAll("select[id], textarea[id], input[id]")) {
    if (field.type === "hidden") continue;
    if (field.type === "checkbox" || field.type === "radio") {
      if (field.checked !== field.defaultChecked) changed.set(field.id, field.checked);
    } else if (field.tagName === "SELECT") {
      // The server's choice: its `selected` option, or the first when none is marked.
      const rendered = Math.max(0, [...field.options].findIndex((option) => option.defaultSelected));
      if (field.selectedIndex !== rendered) changed.set(field.id, field.value);
    } else if (field.value !== field.defaultValue) {
      changed.set(field.id, field.value);
    }
  }
  return changed;
}

function restoreFields(changed) {
  for (const [id, value] of changed) {
    const field = document.getElementById(id);
    if (!field) continue;  // its card left with the redraw
    if (field.type === "checkbox" || field.type === "radio") field.checked = value;
    else if (field.tagName !== "SELECT" || [...field.options].some((option) => option.value === value)) {
      field.value = value;
    }
  }
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

function confirmOutcomes() {
  // Won and Lost are final (only an admin corrects one) and sit side by side on a phone: the
  // first tap asks, a second tap on the same button within a few seconds records it. Without
  // this script (an old or scriptless page) one tap records, as before.
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("form[action$='/outcome'] button[name='result']");
    if (!button) return;
    if (button.dataset.confirming === "yes") {
      // A second tap records it, but not a double tap's (the first one asked 0.4 s ago).
      if (Date.now() - Number(button.dataset.askedAt) < 400) event.preventDefault();
      return;
    }
    event.preventDefault();
    askOutcome(button, Date.now());
  });
}

const ASK_FOR_MS = 6000;

function askOutcome(button, askedAt, again = false) {
  // The question asked at `askedAt`, for what is left of its time (a live redraw asks it again
  // on the button drawn anew, `again`: not read aloud a second time).
  const said = button.textContent;
  button.dataset.confirming = "yes";
  button.dataset.askedAt = String(askedAt);
  button.textContent = `Yes, ${button.value}`;
  const ask = document.createElement("span");
  ask.className = "confirm-ask";
  if (!again) ask.setAttribute("role", "status");
  ask.textContent = `Record it as ${button.value}? It is final: tap "Yes, ${button.value}".`;
  button.form.append(ask);
  setTimeout(() => {
    if (!button.isConnected) return;
    delete button.dataset.confirming;
    button.textContent = said;
    ask.remove();
  }, Math.max(0, ASK_FOR_MS - (Date.now() - askedAt)));
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
  for (const box of document.querySelectorAll(`${SCROLLERS}, table.rule-rows`)) {
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
  serverClock();
  browserZone();
  for (const region of document.querySelectorAll("[data-stream]")) live(region);
  addRowButtons();
  confirmOutcomes();
  scrollableByKeyboard();
  window.addEventListener("resize", scrollableByKeyboard);
  countdowns();
  waitedClocks();
  setInterval(() => { countdowns(); waitedClocks(); }, 1000);
});
