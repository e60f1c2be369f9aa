// The moderation console.  Plain forms work without this file; with it, forms are
// sent in the background (the page stays where it is, a toast says what happened),
// j/k move between items and a/r/1/2/3/f/s/x/u/?/Esc act on the current one.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("status");
  const help = document.getElementById("help");
  const queue = document.getElementById("queue");
  const FLASH = "cqf-flash", FOCUS = "cqf-focus";
  let current = 0, hideTimer = null;

  const cards = () => Array.from(document.querySelectorAll("#queue .card"));
  const pendingView = () => !!document.querySelector("#queue form.actions");

  function show(message, isError) {
    if (!status || !message) return;
    status.textContent = message;
    status.hidden = false;
    status.className = isError ? "toast error" : "toast";
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { status.hidden = true; }, isError ? 9000 : 5000);
  }

  function reloadWith(message, focusKey) {
    sessionStorage.setItem(FLASH, message || "");
    if (focusKey) sessionStorage.setItem(FOCUS, focusKey);
    window.location.reload();
  }

  function focusCard(index, scroll) {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((c, i) => c.classList.toggle("current", i === current));
    if (scroll !== false) all[current].scrollIntoView({ block: "nearest" });
  }

  function bump(view, delta) {
    document.querySelectorAll(`.views [data-view="${view}"] .n`).forEach((el) => {
      el.textContent = Math.max(0, Number(el.textContent) + delta);
    });
    const heading = document.querySelector(`#count[data-view="${view}"] .num`);
    if (heading) heading.textContent = Math.max(0, Number(heading.textContent) + delta);
  }

  async function send(url, data) {
    const response = await fetch(url, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function removeCard(card, newStatus) {
    const index = cards().indexOf(card);
    card.remove();
    if (newStatus) { bump("pending", -1); bump(newStatus, 1); }
    focusCard(index);
  }

  function refillIfEmpty() {  // the batch is done: the next one is claimed by a reload
    if (!cards().length) reloadWith(status.textContent);
  }

  async function submitForm(form, submitter) {
    const data = new FormData(form, submitter || undefined);
    const url = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    const card = form.closest(".card");
    try {
      const result = await send(url, data);
      if (form.id === "bulk") {
        const target = data.get("action") === "approve" ? "approved" : "rejected";
        (result.keys || []).forEach((key) => {
          const done = document.querySelector(`#queue .card[data-key="${CSS.escape(key)}"]`);
          if (done) removeCard(done, target);
        });
        const errors = Object.values(result.errors || {});
        show([result.message, ...errors].join(" "), errors.length > 0);
        refillIfEmpty();
      } else if (form.id === "undo") {
        reloadWith(result.message, result.key);
      } else if (card && form.classList.contains("actions")) {
        show(result.message);
        removeCard(card, result.status === "pending" ? null : result.status);
        refillIfEmpty();
      } else {
        reloadWith(result.message, card ? card.dataset.key : null);
      }
    } catch (e) {
      show(e.message, true);
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    const managed = form.closest("#queue, .toolbar, #add-rule, #rules");
    if (!managed || form.getAttribute("action") === "/logout") return;
    event.preventDefault();
    submitForm(form, event.submitter);
  });

  function act(action) {
    const card = cards()[current];
    const form = card && card.querySelector("form.actions");
    if (!form) return;
    const button = form.querySelector(`button[value="${action}"]`);
    if (button) submitForm(form, button);
  }

  function pick(selector, index) {
    const card = cards()[current];
    const inputs = card ? card.querySelectorAll(selector) : [];
    if (inputs[index]) inputs[index].checked = true;
  }

  function toggle(selector) {
    const card = cards()[current];
    const box = card && card.querySelector(selector);
    if (box) box.checked = !box.checked;
  }

  function setHelp(open) {
    if (!help) return;
    help.hidden = !open;
    const opener = document.getElementById("show-help");
    if (opener) opener.setAttribute("aria-expanded", String(open));
    if (open) document.getElementById("close-help").focus();
  }

  function undo() {
    const form = document.getElementById("undo");
    if (form) submitForm(form, null);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && help && !help.hidden) { setHelp(false); event.preventDefault(); return; }
    const tag = event.target.tagName;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (!pendingView() && event.key !== "?") return;
    const key = event.key;
    const actions = {
      j: () => focusCard(current + 1), k: () => focusCard(current - 1),
      a: () => act("approve"), r: () => act("reject"), s: () => act("release"),
      f: () => toggle('input[name="feature"]'), x: () => toggle("input.select"),
      u: () => undo(), "?": () => setHelp(help && help.hidden),
    };
    if (/^[1-9]$/.test(key)) { pick('input[name="section"]', Number(key) - 1); event.preventDefault(); return; }
    if (actions[key]) { actions[key](); event.preventDefault(); }
  });

  const bind = (id, fn) => { const el = document.getElementById(id); if (el) el.addEventListener("click", fn); };
  bind("show-help", () => setHelp(help.hidden));
  bind("close-help", () => setHelp(false));
  bind("next", () => focusCard(current + 1));
  bind("prev", () => focusCard(current - 1));
  if (queue) {
    queue.addEventListener("click", (event) => {  // clicking a card makes it the current one
      const card = event.target.closest(".card");
      if (card) focusCard(cards().indexOf(card), false);
    });
  }

  const flash = sessionStorage.getItem(FLASH);
  const focusKey = sessionStorage.getItem(FOCUS);
  sessionStorage.removeItem(FLASH);
  sessionStorage.removeItem(FOCUS);
  const start = focusKey ? cards().findIndex((c) => c.dataset.key === focusKey) : 0;
  focusCard(Math.max(0, start), !!focusKey);
  if (flash) show(flash);
})();
