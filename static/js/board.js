// Reports: show print buttons, and keep a tally board's numbers fresh between page refreshes.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var board = document.querySelector("[data-board]");
  if (!board || !window.fetch) return;
  function refresh() {
    fetch(board.getAttribute("data-board"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        board.querySelectorAll("[data-field]").forEach(function (el) {
          var value = data[el.getAttribute("data-field")];
          if (value !== undefined && value !== null) el.textContent = value;
        });
      })
      .catch(function () { /* the meta refresh will try again */ });
  }
  setInterval(refresh, 10000);
})();
