// Booth screen helpers (progressive: the server does the same without JavaScript).
// - typing in the search box hides products whose name does not match, accents optional;
// - on the confirm step, the typed "amount given" shows the change to hand back.
(function () {
  "use strict";
  function fold(text) {
    return (text || "").toLowerCase().replace(/đ/g, "d")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  var search = document.querySelector("[data-pos-search]");
  if (search) {
    var rows = document.querySelectorAll(".pos-row[data-search]");
    search.addEventListener("input", function () {
      var words = fold(search.value).split(" ").filter(Boolean);
      rows.forEach(function (row) {
        var text = row.dataset.search;
        var qty = row.querySelector("input");
        var chosen = qty && parseFloat(qty.value) > 0;  // never hide what is being sold
        row.hidden = !chosen && !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
    });
    // Enter in the search box filters here instead of leaving the page.
    search.form.addEventListener("submit", function (event) { event.preventDefault(); });
  }
  var given = document.getElementById("cash_given");
  var totalBox = document.querySelector("[data-sale-total]");
  var out = document.querySelector("[data-change]");
  if (given && totalBox && out) {
    var total = parseInt(totalBox.dataset.saleTotal, 10);
    var fmt = function (n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫"; };
    var show = function () {
      var amount = parseInt(given.value.replace(/\D/g, ""), 10);
      if (isNaN(amount)) { out.hidden = true; return; }
      out.hidden = false;
      out.textContent = amount >= total
        ? (out.dataset.changeLabel || "Tiền thối: ") + fmt(amount - total)
        : (out.dataset.shortLabel || "Còn thiếu: ") + fmt(total - amount);
    };
    given.addEventListener("input", show);
    show();  // typed before this script ran, or sent back with an error

  }
})();
