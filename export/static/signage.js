// The LED signage page: cycles the playlist's works full screen, from files beside it, so it
// plays with the network unplugged.  Between cycles it takes a newer playlist from the server
// when there is one.  Each work is shown for its full time (never less than
// seconds_per_item, counted from when it appears): a file that fails to load shows the calm
// holding card (the campaign's name) for that time, is skipped after that, and is tried
// again next cycle.
(function () {
  "use strict";
  var playlist = JSON.parse(document.getElementById("initial-playlist").textContent);
  var PLAYLIST_URL = JSON.parse(document.getElementById("playlist-url").textContent);
  var stage = document.getElementById("stage"), mediaBox = document.getElementById("media");
  var caption = document.getElementById("caption"), credit = document.getElementById("credit");
  var info = document.getElementById("info"), holding = document.getElementById("empty");
  var index = 0, timer = null, bad = {};

  function fit() {
    // Sizes from the playlist, set through the CSSOM: the page needs no inline style.
    stage.style.width = playlist.width + "px";
    stage.style.height = playlist.height + "px";
    info.style.fontSize = Math.round(playlist.height / 24) + "px";
    holding.style.fontSize = Math.round(playlist.height / 16) + "px";
    var s = Math.min(window.innerWidth / playlist.width, window.innerHeight / playlist.height);
    stage.style.transform = "scale(" + s + ")";
  }
  // Files beside the page (relative paths) or http(s); never javascript:, data: or //host.
  function isSafe(url) {
    return typeof url === "string" && url !== "" &&
      (/^https?:\/\//i.test(url) || !/^([a-z][a-z0-9+.-]*:|\/\/|\\)/i.test(url));
  }
  function slot(item) {
    var least = Math.max(1, Number(playlist.seconds_per_item) || 10);
    return Math.max(least, Number(item && item.duration_s) || 0) * 1000;
  }
  function playable() {
    return (playlist.items || []).filter(function (it) { return isSafe(it.url) && !bad[it.url]; });
  }
  function refresh(done) {
    bad = {};  // the files may be back (a copy finished, the network returned)
    if (!window.fetch || location.protocol === "file:") { done(); return; }
    fetch(PLAYLIST_URL, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) { if (p && Array.isArray(p.items)) { playlist = p; fit(); } })
      .catch(function () {})
      .then(done);
  }
  function hold() {
    mediaBox.textContent = ""; mediaBox.removeAttribute("data-key");
    caption.textContent = ""; credit.textContent = "";
    info.hidden = true; holding.hidden = false;
  }
  function preload(item) {  // learn before its turn whether the next work's still loads
    if (!item) { return; }
    var still = new Image(), url = item.type === "video" ? item.poster : item.url;
    if (!isSafe(url)) { return; }
    still.onerror = function () { bad[item.url] = true; };
    still.src = url;
  }
  function element(item, shown) {
    var el;
    if (item.type === "video") {
      el = document.createElement("video");
      el.muted = true; el.autoplay = true; el.playsInline = true; el.loop = true;
      if (isSafe(item.poster)) { el.poster = item.poster; }
      el.onloadeddata = shown;
    } else {
      el = document.createElement("img");
      el.alt = item.caption;
      el.onload = shown;
    }
    el.onerror = function () { bad[item.url] = true; hold(); wait(slot(item)); };
    el.src = item.url;
    return el;
  }
  function show() {
    clearTimeout(timer);
    var items = playable();
    if (index >= items.length && index > 0) { index = 0; refresh(show); return; }
    if (!items.length) {
      hold();
      timer = setTimeout(function () { refresh(show); }, slot(null));
      return;
    }
    var item = items[index++], el;
    // The work replaces what is on screen only once its file has loaded: one change a slot.
    el = element(item, function () {
      el.onload = el.onloadeddata = null;
      holding.hidden = true; info.hidden = false;
      mediaBox.textContent = "";
      mediaBox.appendChild(el);
      mediaBox.setAttribute("data-key", item.key);
      caption.textContent = item.caption;
      credit.textContent = item.credit;
      wait(slot(item));  // counted from when it appeared: never less than its time
      if (el.play) { var playing = el.play(); if (playing && playing.catch) { playing.catch(function () {}); } }
    });
    preload(items[index] || items[0]);
    wait(slot(item));  // if the file neither loads nor fails, the next work comes anyway
  }
  function wait(ms) { clearTimeout(timer); timer = setTimeout(show, ms); }
  window.addEventListener("resize", fit);
  fit();
  show();
}());
