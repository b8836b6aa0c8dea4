// kg site: search every entity offline. The index (search-index.js) sets window.kgSearchIndex to
// [[label, href, kind, date], ...]; results are built with textContent, never parsed as HTML.
(function () {
  "use strict";
  var box = document.querySelector(".site-search");
  var input = document.getElementById("site-search");
  var list = document.getElementById("site-search-results");
  var count = document.getElementById("site-search-count");
  var entries = window.kgSearchIndex;
  if (!box || !input || !list || !Array.isArray(entries)) return;
  var prefix = box.getAttribute("data-prefix") || "";
  var LIMIT = 50;
  var SAFE_HREF = /^entities\/[A-Za-z0-9_\-.]+\.html$/;
  function fold(text) { return String(text).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  var folded = entries.map(function (e) { return fold(e[0]); });
  function run() {
    var terms = fold(input.value).split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!terms.length) { count.textContent = ""; return; }
    var hits = [];
    for (var i = 0; i < entries.length; i++) {
      var text = folded[i], all = true;
      for (var t = 0; t < terms.length; t++) { if (text.indexOf(terms[t]) < 0) { all = false; break; } }
      if (all) hits.push(i);
    }
    var first = terms[0];
    hits.sort(function (a, b) {
      var pa = folded[a].indexOf(first) === 0 ? 0 : 1, pb = folded[b].indexOf(first) === 0 ? 0 : 1;
      return (pa - pb) || (folded[a].length - folded[b].length) || (folded[a] < folded[b] ? -1 : folded[a] > folded[b] ? 1 : 0);
    });
    count.textContent = hits.length + (hits.length === 1 ? " match" : " matches") +
      (hits.length > LIMIT ? ", the first " + LIMIT + " shown" : "");
    hits.slice(0, LIMIT).forEach(function (i) {
      var entry = entries[i];
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.textContent = entry[0];
      if (SAFE_HREF.test(entry[1])) link.setAttribute("href", prefix + entry[1]);
      var small = document.createElement("small");
      small.textContent = " " + entry[2] + (entry[3] ? ", " + entry[3] : "");
      item.appendChild(link);
      item.appendChild(small);
      list.appendChild(item);
    });
  }
  input.addEventListener("input", run);
  if (input.value) run();
  window.kgSearch = { run: run, ready: true };
})();
