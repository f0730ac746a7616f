// Reports: show print buttons; keep a venue board fresh (every 30 s, no page reload, no flicker)
// and its clock ticking in Vietnam time from the server's clock.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var board = document.querySelector("[data-board]");
  if (!board || !window.fetch) return;
  var offset = Number(board.getAttribute("data-now")) - Date.now();
  var clock = board.querySelector(".board-clock");
  var format = window.Intl ? new Intl.DateTimeFormat("vi-VN", {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh"
  }) : null;
  function pick(data, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, data);
  }
  function setText(el, value) {
    if (value !== undefined && value !== null && el.textContent !== String(value)) {
      el.textContent = value;
    }
  }
  function stalls(list, rows) {
    if (!rows) return;
    var items = rows.map(function (s) {
      var li = document.createElement("li");
      var name = document.createElement("span"); name.className = "name"; name.textContent = s.name;
      var bar = document.createElement("meter"); bar.min = 0; bar.max = 1; bar.value = s.share;
      var value = document.createElement("span"); value.className = "value"; value.textContent = s.value_text;
      li.append(name, bar, value);
      return li;
    });
    if (items.length) list.replaceChildren.apply(list, items);
  }
  function refresh() {
    fetch(board.getAttribute("data-board"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        offset = data.now_ms - Date.now();
        board.querySelectorAll("[data-field]").forEach(function (el) {
          setText(el, pick(data, el.getAttribute("data-field")));
        });
        board.querySelectorAll("[data-value]").forEach(function (el) {
          var v = pick(data, el.getAttribute("data-value"));
          if (v !== undefined && v !== null) el.value = v;
        });
        var list = board.querySelector("[data-list=stalls]");
        if (list) stalls(list, data.stalls);
      })
      .catch(function () { /* try again at the next tick */ });
  }
  function tick() {
    if (clock && format) setText(clock, format.format(new Date(Date.now() + offset)));
  }
  setInterval(refresh, 30000);
  setInterval(tick, 1000);
})();
