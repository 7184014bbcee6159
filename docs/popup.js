/*
 * Leadflow popup snippet: posts a popup's form to capture as JSON, cross-origin.
 *
 *   <form data-leadflow-popup="spring-sale" data-leadflow-trigger="exit_intent">
 *     <input name="email" type="email" required> <input name="first_name">
 *     <input name="_gotcha" style="display:none" tabindex="-1" autocomplete="off">
 *     <button>Send</button>
 *   </form>
 *   <script src="popup.js" data-leadflow-url="https://leads.example.com"></script>
 *
 * The page's origin must be listed in CAPTURE_ALLOWED_ORIGINS (CORS). utm_* parameters of the
 * page's URL are sent as attribution. The trigger is one of exit_intent, timer, scroll, click,
 * page_load: set it on the form, or change data-leadflow-trigger when your popup opens.
 *
 * A visitor whose submission is refused for now (429 rate limited, 503 busy) is not lost: the
 * snippet waits the Retry-After the answer names (at most a minute) and sends it again, up to
 * three times, with the same Idempotency-Key, so a retry can never count twice.
 */
(function () {
  var script = document.currentScript;
  var endpoint = script.getAttribute("data-leadflow-url").replace(/\/$/, "") + "/v1/leads/popup";

  function attribution() {
    var params = new URLSearchParams(window.location.search);
    var found = { landing_url: window.location.href };
    if (document.referrer) found.referrer = document.referrer;
    ["source", "medium", "campaign", "term", "content"].forEach(function (name) {
      var value = params.get("utm_" + name);
      if (value) found[name] = value;
    });
    return found;
  }

  function submit(form, event) {
    event.preventDefault();
    var body = { popup_id: form.getAttribute("data-leadflow-popup"), attribution: attribution() };
    var trigger = form.getAttribute("data-leadflow-trigger");
    if (trigger) body.trigger = trigger;
    new FormData(form).forEach(function (value, name) {
      if (name === "consent_email" || name === "consent_sms") {
        body.consent = body.consent || {};
        body.consent[name.slice(8)] = true;
      } else if (value !== "") {
        body[name] = value;
      }
    });
    send(form, JSON.stringify(body), 0);
  }

  function send(form, payload, attempt) {
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": form.dataset.leadflowKey },
      body: payload,
    }).then(function (response) {
      var later = response.status === 429 || response.status === 503;
      if (later && attempt < 3) {
        var wait = Math.min(parseInt(response.headers.get("Retry-After"), 10) || 5, 60);
        form.dispatchEvent(new CustomEvent("leadflow:retrying", { detail: { wait: wait }, bubbles: true }));
        setTimeout(function () { send(form, payload, attempt + 1); }, wait * 1000);
        return;
      }
      form.dispatchEvent(new CustomEvent(response.ok ? "leadflow:sent" : "leadflow:error", {
        detail: { status: response.status }, bubbles: true,
      }));
    });
  }

  document.querySelectorAll("form[data-leadflow-popup]").forEach(function (form) {
    // One key per rendered form: a double click or a retry is one submission.
    form.dataset.leadflowKey = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now() + Math.random());
    form.addEventListener("submit", function (event) { submit(form, event); });
  });
})();
