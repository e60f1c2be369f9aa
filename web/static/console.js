// Keyboard moderation for /moderation.  Plain forms work without this file;
// with it, j/k move between items and a/r/1/2/3/f/s/x/u/? act on the current one.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("status");
  const help = document.getElementById("help");
  let current = 0;

  const cards = () => Array.from(document.querySelectorAll("#queue .card"));

  function show(message, isError) {
    status.textContent = message;
    status.hidden = false;
    status.className = isError ? "notice error" : "notice";
  }

  function focusCard(index) {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((c, i) => c.classList.toggle("current", i === current));
    all[current].scrollIntoView({ block: "nearest" });
  }

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  async function act(action) {
    const card = cards()[current];
    if (!card) return;
    const form = card.querySelector("form.actions");
    if (!form) return;
    const data = new FormData(form);
    data.delete("items");
    data.set("action", action);
    const url = action === "release" ? "/moderation/release" : "/moderation/decide";
    try {
      await post(url, data);
      card.remove();
      show(action === "release" ? "skipped " + card.dataset.key
        : action + "d " + card.dataset.key + " (u to undo)");
      if (!cards().length) { window.location.reload(); return; }
      focusCard(current);
    } catch (e) {
      show(e.message, true);
    }
  }

  async function undo() {
    try {
      const result = await post("/moderation/undo", {});
      show("undone: " + result.key + " is " + result.status);
      window.location.reload();
    } catch (e) {
      show(e.message, true);
    }
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

  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key;
    const actions = {
      j: () => focusCard(current + 1), k: () => focusCard(current - 1),
      a: () => act("approve"), r: () => act("reject"), s: () => act("release"),
      f: () => toggle('input[name="feature"]'), x: () => toggle("input.select"),
      u: () => undo(), "?": () => { help.hidden = !help.hidden; },
    };
    if (/^[1-9]$/.test(key)) { pick('input[name="section"]', Number(key) - 1); event.preventDefault(); return; }
    if (actions[key]) { actions[key](); event.preventDefault(); }
  });

  focusCard(0);
})();
