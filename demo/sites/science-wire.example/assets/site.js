/* Open Science Wire demo script: harmless UI helpers, no tracking. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var links = document.querySelectorAll(".article-body a[href^='http']");
    for (var i = 0; i < links.length; i++) { links[i].setAttribute("rel", "noopener"); }
  });
})();
