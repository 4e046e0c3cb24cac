/*
 * Charts of the complaint analysis page (CMP-6). The data is the JSON block the page renders;
 * a static file because the CSP allows no inline script.
 */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("complaint-charts");
    if (!source || !window.echarts) return;
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var spec = charts[node.getAttribute("data-chart")];
      if (!spec || !spec.items.length) return;
      var chart = window.echarts.init(node);
      chart.setOption({
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "65%"], data: spec.items, label: { formatter: "{b}: {c}" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
