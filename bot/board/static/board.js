// Keep the grid where the reader scrolled it when a live update swaps the page's main part.
(function () {
  "use strict";
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var grid = document.querySelector(".grid-wrap");
    kept = grid ? { left: grid.scrollLeft, top: grid.scrollTop } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var grid = document.querySelector(".grid-wrap");
    if (grid && kept) {
      grid.scrollLeft = kept.left;
      grid.scrollTop = kept.top;
    }
  });
})();
