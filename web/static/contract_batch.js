// The progress of a bulk send (web/contract_batches.py): poll the counters while the batch runs,
// reload the page (to list the failed lines) when it is done.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || box.dataset.state === "done" || !window.fetch) {
    return;
  }
  var url = box.dataset.progressUrl;
  function show(id, value) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = String(value);
    }
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (p) {
        if (!p) {
          window.setTimeout(tick, 5000);
          return;
        }
        var bar = document.getElementById("progress-bar");
        if (bar) {
          bar.max = p.total;
          bar.value = p.sent + p.failed;
          bar.textContent = p.percent + "%";
        }
        show("count-sent", p.sent);
        show("count-failed", p.failed);
        show("count-pending", p.pending);
        show("batch-state", p.state_label);
        if (p.state === "done") {
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 2000);
      })
      .catch(function () {
        window.setTimeout(tick, 5000);
      });
  }
  window.setTimeout(tick, 2000);
})();
