// The booth screen without a network. A service worker keeps the screen and the stall's data
// (products, prices, stock, static VietQR); a sale made offline is queued in IndexedDB with an
// id made here and its time of sale, and sent when the network returns (by itself and on the
// "Gửi ngay" button). The server records each sale once by that id.
(function () {
  "use strict";
  var box = document.querySelector("[data-booth]");
  if (!box || !window.indexedDB || !window.fetch) { return; }
  var form = document.querySelector("[data-pos]") && document.querySelector("[data-pos]").closest("form");
  var panel = document.querySelector("[data-offline-sale]");
  var stallId = parseInt(box.dataset.stall, 10);
  var userId = parseInt(box.dataset.user, 10);
  var msg = box.dataset;
  var booth = null; // the stall's data, from the network or the cache
  var pendingSale = null;
  var syncing = false;
  var db = null;
  box.hidden = false;

  var fmt = function (n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫"; };
  function note(text) { box.querySelector("[data-sync-note]").textContent = text || ""; }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- IndexedDB: one store of sales, kept until the server has recorded them ------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("cho40-booth", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("sales", { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function store(mode) { return db.transaction("sales", mode).objectStore("sales"); }
  function allSales() {
    return new Promise(function (resolve, reject) {
      var req = store("readonly").getAll();
      req.onsuccess = function () { resolve(req.result || []); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function putSale(sale) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction("sales", "readwrite");
      tx.objectStore("sales").put(sale);
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
    });
  }
  function mine(sale) { return sale.stall === stallId && sale.user === userId; }
  function waiting() {
    return allSales().then(function (sales) {
      return sales.filter(function (s) { return mine(s) && s.state === "pending"; })
        .sort(function (a, b) { return a.sold_at - b.sold_at; });
    });
  }

  function showCount() {
    return waiting().then(function (sales) {
      box.querySelector("[data-pending]").textContent = sales.length;
      showStock(sales);
      return sales;
    });
  }

  // Stock shown on the rows: the stall's last known stock less the sales still waiting here.
  function showStock(sales) {
    if (!booth) { return; }
    var taken = {};
    sales.forEach(function (s) {
      s.lines.forEach(function (l) { taken[l.product_id] = (taken[l.product_id] || 0) + parseFloat(l.quantity); });
    });
    booth.products.forEach(function (p) {
      var input = document.getElementById("qty_" + p.id);
      if (!input) { return; }
      var left = parseFloat(p.stock) - (taken[p.id] || 0);
      input.dataset.left = left;
      if (!navigator.onLine) { input.removeAttribute("max"); }  // goods on the shelf still sell
    });
  }

  function showNet() {
    box.querySelector("[data-net]").textContent = navigator.onLine ? msg.msgOnline : msg.msgOffline;
  }

  // --- the stall's data: kept by the service worker's cache, read again when online ----------
  function loadBooth(fresh) {
    var url = box.dataset.dataUrl + (fresh ? (box.dataset.dataUrl.indexOf("?") < 0 ? "?" : "&") + "fresh=1" : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { booth = data; return data; });
  }

  function cacheShell() {
    if (!window.caches) { return Promise.resolve(); }
    var urls = [location.pathname + location.search, box.dataset.dataUrl, box.dataset.manifest];
    document.querySelectorAll("link[rel=stylesheet], script[src], link[rel=icon]").forEach(function (el) {
      urls.push(el.getAttribute("href") || el.getAttribute("src"));
    });
    return caches.open("cho40-booth-v1").then(function (cache) {
      return Promise.all(urls.map(function (u) {
        // Once cached, the worker keeps the page and the data fresh on every online load, and
        // versioned static files never change: only what is missing is fetched here.
        return cache.match(u, { ignoreVary: true }).then(function (hit) {
          if (!hit) { return cache.add(u); }
        });
      }));
    });
  }

  // Ready to sell offline: the worker controls this page and the screen is on the phone.
  function ready() {
    box.dataset.offlineReady = "1";
    var status = box.querySelector("[data-ready]");
    if (status) { status.hidden = false; }
  }

  // --- selling offline -------------------------------------------------------------------------
  function chosenLines() {
    var lines = [];
    var total = 0;
    form.querySelectorAll("input[name^=qty_]").forEach(function (input) {
      var q = parseFloat((input.value || "").replace(",", "."));
      if (!(q > 0)) { return; }
      var pid = parseInt(input.name.slice(4), 10);
      var price = parseInt(input.closest("li").querySelector("[data-price]").dataset.price, 10);
      var name = input.closest("li").querySelector("strong").textContent;
      lines.push({ product_id: pid, quantity: input.value.replace(",", "."), name: name, line_total: Math.round(q * price) });
      total += Math.round(q * price);
    });
    return { lines: lines, total: total };
  }

  function openPanel(sale) {
    pendingSale = sale;
    sale.id = newId();  // made now: the transfer note of a VietQR code names this sale
    var list = panel.querySelector("[data-offline-lines]");
    list.textContent = "";
    sale.lines.forEach(function (l) {
      var li = document.createElement("li");
      li.textContent = l.quantity + " × " + l.name + " — " + fmt(l.line_total);
      list.appendChild(li);
    });
    panel.querySelector("[data-offline-total]").textContent = fmt(sale.total);
    var qr = booth && booth.vietqr && window.VietQR;
    panel.querySelector("[data-offline-vietqr]").hidden = !qr;
    panel.querySelector("input[value=cash]").checked = true;
    showQr();
    panel.hidden = false;
    form.hidden = true;
    panel.scrollIntoView();
  }

  function showQr() {
    var qr = booth && booth.vietqr;
    var on = qr && window.VietQR && panel.querySelector("input[value=vietqr]").checked;
    var fig = panel.querySelector("[data-offline-qr]");
    fig.hidden = !on;
    if (on) {
      // A code with the amount in it, built on this phone; the stall's static code otherwise.
      var caption = fig.querySelector("[data-qr-caption]");
      var image;
      try {
        image = VietQR.svgDataUri(VietQR.payload(qr.bank_bin, qr.account_number, pendingSale.total,
                                                 "CHO40 " + pendingSale.id.slice(0, 8)));
        caption.textContent = caption.dataset.dynamic;
      } catch (e) {  // an amount too long for a code: the static one, the buyer types it
        image = VietQR.svgDataUri(VietQR.payload(qr.bank_bin, qr.account_number));
        caption.textContent = caption.dataset.static;
      }
      fig.querySelector("img").src = image;
      fig.querySelector("[data-offline-account]").textContent = qr.bank + " · " + qr.account_number + " · " + qr.account_name;
    }
  }

  function closePanel() { panel.hidden = true; form.hidden = false; pendingSale = null; }

  function confirmSale() {
    if (!pendingSale) { return; }
    var method = panel.querySelector("input[name=offline_method]:checked").value;
    var sale = {
      id: pendingSale.id, stall: stallId, user: userId, sold_at: Date.now(), method: method,
      total: pendingSale.total, state: "pending",
      lines: pendingSale.lines.map(function (l) { return { product_id: l.product_id, quantity: l.quantity }; })
    };
    putSale(sale).then(function () {
      form.querySelectorAll("input[name^=qty_]").forEach(function (i) { i.value = ""; i.dispatchEvent(new Event("input")); });
      closePanel();
      note(msg.msgSaved);
      return showCount();
    }).then(function () { if (navigator.onLine) { sync(); } });
  }

  // --- sending the queue -------------------------------------------------------------------------
  function sendOne(sale, token) {
    return fetch(box.dataset.syncUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ id: sale.id, sold_at: sale.sold_at, method: sale.method, lines: sale.lines })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) {
          sale.state = "sent"; sale.order = body.order; sale.short = body.short;
          return putSale(sale).then(function () { return body; });
        }
        if (body && body.rejected) {
          sale.state = "rejected"; sale.error = body.error;
          return putSale(sale).then(function () { return body; });
        }
        throw new Error("sync " + r.status);  // signed out, CSRF, server down: try again later
      });
    });
  }

  function sync() {
    if (syncing || !db) { return Promise.resolve(); }
    syncing = true;
    var notes = [];
    return waiting().then(function (sales) {
      if (!sales.length) { note(msg.msgNothing); return; }
      return loadBooth(true).then(function (data) {
        return sales.reduce(function (chain, sale) {
          return chain.then(function () {
            return sendOne(sale, data.csrf_token).then(function (body) {
              if (body.rejected) { notes.push(msg.msgRejected + " " + body.error); }
              (body.short || []).forEach(function (s) { notes.push(msg.msgShort + " " + s.name + " (−" + s.quantity_short + ")"); });
            });
          });
        }, Promise.resolve()).then(function () {
          note([msg.msgSent].concat(notes).join(" "));
          return loadBooth();
        });
      });
    }).catch(function () { note(msg.msgFailed); })
      .then(function () { syncing = false; return showCount(); });
  }

  // --- wiring ------------------------------------------------------------------------------------
  if (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }  // online: the usual confirm page
      event.preventDefault();
      var chosen = chosenLines();
      if (!chosen.lines.length) { note(msg.msgNone); return; }
      openPanel(chosen);
    });
  }
  panel.querySelectorAll("input[name=offline_method]").forEach(function (r) { r.addEventListener("change", showQr); });
  panel.querySelector("[data-offline-confirm]").addEventListener("click", confirmSale);
  panel.querySelector("[data-offline-cancel]").addEventListener("click", closePanel);
  box.querySelector("[data-sync]").addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { showNet(); sync(); });
  window.addEventListener("offline", function () { showNet(); showCount(); });
  setInterval(function () { if (navigator.onLine) { sync(); } }, 5000);
  // Signing out on this phone forgets the cached screen (sales still waiting are kept).
  document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
    f.addEventListener("submit", function () { if (window.caches) { caches.delete("cho40-booth-v1"); } });
  });

  showNet();
  openDb().then(function (opened) {
    db = opened;
    return (navigator.onLine ? loadBooth() : loadBooth().catch(function () { return null; }))
      .catch(function () { return null; });
  }).then(function () {
    return showCount();
  }).then(function () {
    if (navigator.serviceWorker) {
      navigator.serviceWorker.register(box.dataset.sw, { scope: "/seller/" })
        .then(function () { return navigator.serviceWorker.ready; })
        .then(cacheShell)
        .then(function () {
          if (navigator.serviceWorker.controller) { ready(); return; }
          navigator.serviceWorker.addEventListener("controllerchange", ready);
        })
        .catch(function () {});
    }
    if (navigator.onLine) { sync(); }
  });
})();
