// Satisfaction by month: a bar of answers and a line of the satisfied share, from the page's JSON.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("satisfaction-chart");
  var source = document.getElementById("satisfaction-data");
  if (!holder || !source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [data.rate_label, data.answers_label] },
    xAxis: { type: "category", data: data.months },
    yAxis: [
      { type: "value", min: 0, max: 100, name: "%" },
      { type: "value", minInterval: 1 }
    ],
    series: [
      { name: data.answers_label, type: "bar", yAxisIndex: 1, data: data.answers, itemStyle: { opacity: 0.35 } },
      { name: data.rate_label, type: "line", data: data.rates, connectNulls: false, label: { show: true, formatter: "{c}%" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
