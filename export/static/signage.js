// The LED signage page: cycles the playlist's works full screen, offline if need be.
// Between cycles it takes a newer playlist from the server when there is one.
(function () {
  "use strict";
  var playlist = JSON.parse(document.getElementById("initial-playlist").textContent);
  var PLAYLIST_URL = JSON.parse(document.getElementById("playlist-url").textContent);
  var stage = document.getElementById("stage"), mediaBox = document.getElementById("media");
  var caption = document.getElementById("caption"), credit = document.getElementById("credit");
  var info = document.getElementById("info"), empty = document.getElementById("empty");
  var index = 0, timer = null;

  function fit() {
    // Sizes from the playlist, set through the CSSOM: the page needs no inline style.
    stage.style.width = playlist.width + "px";
    stage.style.height = playlist.height + "px";
    info.style.fontSize = Math.round(playlist.height / 24) + "px";
    empty.style.fontSize = Math.round(playlist.height / 16) + "px";
    var s = Math.min(window.innerWidth / playlist.width, window.innerHeight / playlist.height);
    stage.style.transform = "scale(" + s + ")";
  }
  function isHttp(url) { return typeof url === "string" && /^https?:\/\//i.test(url); }
  function refresh(done) {
    if (!window.fetch || location.protocol === "file:") { done(); return; }
    fetch(PLAYLIST_URL, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) { if (p && Array.isArray(p.items)) { playlist = p; fit(); } })
      .catch(function () {})
      .then(done);
  }
  function show() {
    clearTimeout(timer);
    var items = (playlist.items || []).filter(function (it) { return isHttp(it.url); });
    if (!items.length) {
      empty.hidden = false; mediaBox.textContent = ""; caption.textContent = ""; credit.textContent = "";
      timer = setTimeout(function () { refresh(show); }, playlist.seconds_per_item * 1000);
      return;
    }
    empty.hidden = true;
    if (index >= items.length) { index = 0; refresh(show); return; }
    var item = items[index++], el;
    if (item.type === "video") {
      el = document.createElement("video");
      el.muted = true; el.autoplay = true; el.playsInline = true;
      if (isHttp(item.preview_url)) { el.poster = item.preview_url; }
      el.onended = show;
    } else {
      el = document.createElement("img");
      el.alt = item.caption;
    }
    el.onerror = function () { clearTimeout(timer); timer = setTimeout(show, 1000); };
    el.src = item.url;
    mediaBox.textContent = "";
    mediaBox.appendChild(el);
    caption.textContent = item.caption;
    credit.textContent = item.credit;
    timer = setTimeout(show, Math.max(1, item.duration_s || playlist.seconds_per_item) * 1000);
  }
  window.addEventListener("resize", fit);
  fit();
  show();
}());
