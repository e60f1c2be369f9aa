// The upload page: solves the proof-of-work challenge, sends files larger than the plain
// form takes (and every video) through tus 1.0 in chunks, resuming after a dropped
// connection, with a progress bar; then submits the form with the transfer's id.
// No library, no CDN.  SHA-256 is our own: crypto.subtle exists only on HTTPS pages.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var CHUNK = 4 * 1024 * 1024, RETRIES = 30;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var d = form.dataset;

  var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2];

  // The first 32-bit word of SHA-256 of an ASCII string (all the proof of work looks at).
  function sha256First(text) {
    var n = text.length, words = new Array(((n + 9 + 63) >> 6) << 4).fill(0), i;
    for (i = 0; i < n; i++) words[i >> 2] |= text.charCodeAt(i) << (24 - (i % 4) * 8);
    words[n >> 2] |= 0x80 << (24 - (n % 4) * 8);
    words[words.length - 1] = n * 8;
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
      0x1f83d9ab, 0x5be0cd19], w = new Array(64);
    for (var block = 0; block < words.length; block += 16) {
      var a = h[0], b = h[1], c = h[2], e = h[4], f = h[5], g = h[6], dd = h[3], hh = h[7];
      for (i = 0; i < 64; i++) {
        if (i < 16) w[i] = words[block + i];
        else {
          var x = w[i - 15], y = w[i - 2];
          w[i] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
            (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
            w[i - 7] + w[i - 16] | 0;
        }
        var t1 = hh + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^
          ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i] | 0;
        var t2 = (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c)) | 0;
        hh = g; g = f; f = e; e = dd + t1 | 0; dd = c; c = b; b = a; a = t1 + t2 | 0;
      }
      h = [h[0] + a | 0, h[1] + b | 0, h[2] + c | 0, h[3] + dd | 0, h[4] + e | 0,
        h[5] + f | 0, h[6] + g | 0, h[7] + hh | 0];
    }
    return h[0] >>> 0;
  }

  function solve(challenge, bits) {
    if (!bits) return "";
    var limit = Math.pow(2, 32 - bits);
    for (var nonce = 0; ; nonce++) {
      if (sha256First(challenge + ":" + nonce) < limit) return String(nonce);
    }
  }

  function say(text) { status.textContent = text; }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      headers["Tus-Resumable"] = "1.0.0";
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress) xhr.upload.onprogress = function (ev) { onProgress(ev.loaded); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = function () { reject(new Error("network")); };
      xhr.send(body || null);
    });
  }

  function b64(text) { return btoa(unescape(encodeURIComponent(text))); }

  // One transfer per file (remembered across page loads): resumed from the server's offset.
  async function sendByTus(file) {
    var memo = "cqf-tus:" + [file.name, file.size, file.lastModified].join(":");
    var url = localStorage.getItem(memo), offset = 0, failures = 0;
    if (url) {
      var head = await request("HEAD", url, {}).catch(function () { return null; });
      if (head && head.status === 200) offset = Number(head.getResponseHeader("Upload-Offset"));
      else url = null;
    }
    if (!url) {
      var made = await request("POST", d.tus, {"Upload-Length": String(file.size),
        "Upload-Metadata": "filename " + b64(file.name) + ",filetype " + b64(file.type || "")});
      if (made.status !== 201) throw new Error(JSON.parse(made.responseText).detail);
      url = made.getResponseHeader("Location");
      localStorage.setItem(memo, url);
    }
    bar.hidden = false;
    while (offset < file.size) {
      say(d.msgUploading);
      var end = Math.min(offset + CHUNK, file.size), start = offset;
      try {
        var sent = await request("PATCH", url, {"Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream"}, file.slice(start, end),
          function (loaded) { bar.value = 100 * (start + loaded) / file.size; });
        if (sent.status === 204) {
          offset = Number(sent.getResponseHeader("Upload-Offset")); failures = 0; continue;
        }
        if (sent.status !== 409 && sent.status < 500) throw new Error(JSON.parse(sent.responseText).detail);
      } catch (err) {
        if (err.message !== "network") throw err;
      }
      if (++failures > RETRIES) throw new Error(d.msgFailed);
      say(d.msgResuming);
      await new Promise(function (r) { setTimeout(r, Math.min(1000 * failures, 10000)); });
      var again = await request("HEAD", url, {}).catch(function () { return null; });
      if (again && again.status === 200) offset = Number(again.getResponseHeader("Upload-Offset"));
    }
    bar.value = 100;
    localStorage.removeItem(memo);
    return url.split("/").pop();
  }

  form.addEventListener("submit", async function (ev) {
    if (form.dataset.ready === "1") return;  // the second, real submission
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      say(d.msgWorking);
      await new Promise(function (r) { setTimeout(r, 0); });
      form.elements.pow_nonce.value = solve(form.elements.pow_challenge.value, Number(d.powBits));
      var input = form.elements.file, file = input.files[0];
      var video = file && /^video\//.test(file.type);
      if (file && (video || file.size > Number(d.maxPlain))) {
        form.elements.tus_id.value = await sendByTus(file);
        input.disabled = true;  // the file went by tus: the form carries only its id
        say(d.msgSaving);
      }
      form.dataset.ready = "1";
      form.submit();
    } catch (err) {
      say(err.message || d.msgFailed);
      button.disabled = false;
    }
  });
}());
