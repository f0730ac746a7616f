// Booth sale screen: -/+ buttons beside each quantity box and a live running total.
// The server computes the real total on the confirm step; this is only a preview.
(function () {
  "use strict";
  var fmt = function (n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫"; };
  document.querySelectorAll("[data-pos]").forEach(function (list) {
    var totalBox = document.querySelector("[data-pos-total]");
    var inputs = list.querySelectorAll("input[type=number]");
    function update() {
      var sum = 0;
      inputs.forEach(function (input) {
        var q = parseFloat((input.value || "").replace(",", "."));
        var price = parseInt(input.closest("li").querySelector("[data-price]").dataset.price, 10);
        // Like the server: each line rounded once to whole dong (half up).
        if (q > 0) { sum += Math.round(Math.round(q * 1000) * price / 1000); }
      });
      if (totalBox) { totalBox.hidden = false; totalBox.querySelector(".price").textContent = fmt(sum); }
    }
    inputs.forEach(function (input) {
      // Weighed products step by their selling step (0,1 or 0,5 kg), in grams to stay exact.
      var step = Math.round((parseFloat(input.step) || 1) * 1000);
      [[-1, "−"], [1, "+"]].forEach(function (pair) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "step"; b.textContent = pair[1];
        b.setAttribute("aria-label", (pair[0] < 0 ? "-" : "+") + step / 1000 + " " + input.id);
        b.addEventListener("click", function () {
          var max = Math.round(parseFloat(input.max) * 1000);
          var now = Math.round((parseFloat((input.value || "").replace(",", ".")) || 0) * 1000);
          var q = Math.max(0, now + pair[0] * step);
          if (!isNaN(max)) { q = Math.min(q, max); }
          input.value = q ? q / 1000 : "";
          update();
        });
        if (pair[0] < 0) { input.before(b); } else { input.after(b); }
      });
      input.addEventListener("input", update);
    });
    update();
  });
  // The device makes the sale's one-time key: a retried or double-tapped sale is recorded once.
  // Made once per page load, so resending this page resends the same key; without
  // JavaScript the key the server put in the form does the same job.
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) { crypto.getRandomValues(bytes); }
    else { return null; }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;  // uuid v4
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  document.querySelectorAll("input[data-once]").forEach(function (input) {
    var key = newKey();
    if (key) { input.value = key; }
  });
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
