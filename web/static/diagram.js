// The case page's process diagram: bpmn-js viewer (from npm, see web/frontend), current step highlighted.
(function () {
  "use strict";
  var box = document.getElementById("process-diagram");
  if (!box || typeof BpmnJS === "undefined") { return; }
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      JSON.parse(box.dataset.done || "[]").forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "step-done"); }
      });
      JSON.parse(box.dataset.active || "[]").forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "step-active"); }
      });
      canvas.zoom("fit-viewport");
      box.setAttribute("data-rendered", "true");
    })
    .catch(function (error) {
      box.textContent = "流程图无法显示：" + error.message;
      box.setAttribute("data-rendered", "error");
    });
})();
