// Interval statistics (CT-16): one ECharts chart per queue from the page's JSON data block.
(function () {
  "use strict";

  function render() {
    var source = document.getElementById("interval-chart-data");
    if (!source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var names = data.labels;
    document.querySelectorAll(".interval-chart").forEach(function (element) {
      var series = data.series[Number(element.dataset.chartIndex)];
      if (!series) {
        return;
      }
      var chart = window.echarts.init(element);
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 48, top: 32, bottom: 24 },
        xAxis: { type: "category", data: series.labels },
        yAxis: [
          { type: "value", minInterval: 1 },
          { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        ],
        series: [
          { name: names.offered, type: "bar", data: series.offered },
          { name: names.answered, type: "bar", data: series.answered },
          { name: names.abandoned, type: "bar", data: series.abandoned },
          { name: names.service_level, type: "line", yAxisIndex: 1, connectNulls: false, data: series.service_level },
        ],
      });
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
