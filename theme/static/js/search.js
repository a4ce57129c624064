/*
  Digest search: starts Pagefind's UI in #search when it has loaded, hides the no-JavaScript
  message, runs the search given as ?q= in the address and keeps the address in step with the
  query, so that a search can be bookmarked or shared. The site is fully readable without it.
  A large site's index comes in shards (pagefind-shards.json lists their bundles): the first is
  the UI's own, the others are merged into its results.
*/
(function () {
  "use strict";

  function start() {
    var box = document.getElementById("search");
    if (!box || typeof window.PagefindUI !== "function") {
      return;
    }
    // The site's root, as a path: works at a domain's root, under a sub-path, and with the
    // relative URLs of a development build.
    var root = new URL(box.getAttribute("data-site") || "./", document.baseURI).pathname;
    fetch(root + "pagefind-shards.json")
      .then(function (response) {
        return response.ok ? response.json() : { bundles: [] };
      })
      .catch(function () {
        return { bundles: [] };
      })
      .then(function (shards) {
        var others = (shards.bundles || []).slice(1).map(function (bundle) {
          return { bundlePath: root + bundle };
        });
        show(box, root, others);
      });
  }

  function show(box, root, others) {
    var ui = new window.PagefindUI({
      element: "#search",
      bundlePath: root + "pagefind/",
      baseUrl: root,
      mergeIndex: others,
      showImages: false,
      showSubResults: true,
      resetStyles: false,
      autofocus: true,
    });
    // Pagefind's box has a placeholder but no label: give it the page's visible one.
    var input = box.querySelector("input");
    var label = document.getElementById(box.getAttribute("data-label") || "");
    if (input && label) {
      input.setAttribute("aria-labelledby", label.id);
      label.hidden = false;
    }
    var fallback = document.getElementById("search-fallback");
    if (fallback) {
      fallback.hidden = true;
    }
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      ui.triggerSearch(query);
    }
    box.addEventListener("input", function (event) {
      if (!event.target || event.target.type !== "text") {
        return;
      }
      var url = new URL(window.location.href);
      if (event.target.value) {
        url.searchParams.set("q", event.target.value);
      } else {
        url.searchParams.delete("q");
      }
      window.history.replaceState(null, "", url);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
