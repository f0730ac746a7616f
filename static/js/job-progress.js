// A background job's page: poll its JSON progress and move the bar; reload when it ends.
// Without JavaScript the page's "Tải lại" link does the same by hand.
(function () {
  var box = document.querySelector("[data-job-status]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-status");
  var lang = document.documentElement.lang || "vi";
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function show(data) {
    if (data.finished) { window.location.reload(); return; }
    var stage = data.state === "retrying" ? "retrying" : (data.stage || "queued");
    var label = box.getAttribute("data-label-" + stage);
    if (label && field("stage")) { field("stage").textContent = label; }
    var bar = field("bar");
    if (bar) { bar.max = Math.max(data.total, 1); bar.value = data.done; }
    if (field("done")) { field("done").textContent = data.done.toLocaleString(lang); }
    if (field("total")) { field("total").textContent = data.total.toLocaleString(lang); }
    window.setTimeout(poll, 1500);
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(show)
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
