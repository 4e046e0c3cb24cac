/*
 * What-if page (WFM-3). Collects the planner's inputs, asks /api/v1/wfm/staffing/ for the agents
 * needed per interval and draws them with ECharts; saves scenarios through the API; after an htmx
 * simulation run is done, draws its per-interval result. Every number comes from the server: no
 * staffing rule lives here. Labels and messages come from the page's data attributes (translated).
 */
(function () {
  "use strict";

  var root, form, staffingChart, simCharts = [];
  var pending = null, timer = null, sequence = 0;

  function label(name) {
    return root.getAttribute("data-label-" + name) || name;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function value(name) {
    var field = form.elements.namedItem(name);
    return field ? String(field.value).trim() : "";
  }

  function numberOrNull(text) {
    return text === "" ? null : Number(text);
  }

  function localIso(text) {
    // datetime-local gives "YYYY-MM-DDTHH:MM" in the centre's wall-clock time; the server reads
    // a naive time in the centre's zone.
    return text ? text + ":00" : "";
  }

  function scheduleRows() {
    return Array.prototype.slice.call(root.querySelectorAll("#wi-schedule .wi-shift"));
  }

  function collect() {
    var inputs = {
      snapshot: numberOrNull(value("snapshot")),
      target_kind: value("target_kind") || "service_level",
      shrinkage_percent: numberOrNull(value("shrinkage_percent")),
      patience_seconds: numberOrNull(value("patience_seconds")),
      aht_seconds: numberOrNull(value("aht_seconds")),
    };
    var percent = value("volume_percent");
    inputs.volume_multiplier = percent === "" ? 1 : Number(percent) / 100;
    if (inputs.target_kind === "asa") {
      inputs.asa_seconds = numberOrNull(value("asa_seconds"));
    } else {
      inputs.service_level_percent = numberOrNull(value("service_level_percent"));
      inputs.service_level_seconds = numberOrNull(value("service_level_seconds"));
    }
    var shifts = scheduleRows().map(function (row) {
      return {
        employee: Number(row.querySelector('[data-shift="employee"]').value),
        start: localIso(row.querySelector('[data-shift="start"]').value),
        end: localIso(row.querySelector('[data-shift="end"]').value),
      };
    });
    if (shifts.length) inputs.schedule = shifts;
    return inputs;
  }

  function clearErrors() {
    root.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
    });
    root.querySelectorAll("[data-error-for], [data-shift-error]").forEach(function (el) {
      el.textContent = "";
    });
    var box = document.getElementById("wi-error");
    box.hidden = true;
    box.textContent = "";
  }

  var FIELD_INPUT = { volume_multiplier: "volume_percent" };

  function showErrors(body) {
    var fields = (body && body.fields) || {};
    var shown = false;
    Object.keys(fields).forEach(function (key) {
      var message = fields[key].map(function (item) { return item.message; }).join(" ");
      var shift = /^schedule\[(\d+)\]\.(\w+)$/.exec(key);
      if (shift) {
        var row = scheduleRows()[Number(shift[1])];
        if (row) {
          var input = row.querySelector('[data-shift="' + shift[2] + '"]');
          var slot = row.querySelector('[data-shift-error="' + (shift[2] === "start" ? "end" : shift[2]) + '"]');
          if (input) input.classList.add("is-invalid");
          if (slot) { slot.textContent = message; slot.classList.add("d-block"); shown = true; }
        }
        return;
      }
      var target = root.querySelector('[data-error-for="' + key + '"]');
      var input2 = form.elements.namedItem(FIELD_INPUT[key] || key);
      if (input2 && input2.classList) input2.classList.add("is-invalid");
      if (target) { target.textContent = message; shown = true; }
    });
    if (!shown) {
      var box = document.getElementById("wi-error");
      box.textContent = (body && body.message) || root.getAttribute("data-msg-error");
      box.hidden = false;
    }
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  function axisLabels(rows) {
    var days = {};
    rows.forEach(function (row) { days[row.start.slice(0, 10)] = true; });
    var many = Object.keys(days).length > 1;
    return rows.map(function (row) {
      return many ? row.start.slice(5, 10) + " " + row.start.slice(11, 16) : row.start.slice(11, 16);
    });
  }

  function drawStaffing(rows) {
    var chartBox = document.getElementById("staffing-chart");
    if (!staffingChart) staffingChart = window.echarts.init(chartBox);
    var withSchedule = rows.some(function (row) { return row.available !== null; });
    var series = [
      { name: label("required"), type: "bar", data: rows.map(function (r) { return r.required; }) },
      { name: label("scheduled"), type: "line", step: "middle", data: rows.map(function (r) { return r.scheduled; }) },
      {
        name: label("volume"), type: "line", yAxisIndex: 1, smooth: true, symbol: "none",
        lineStyle: { type: "dashed" }, data: rows.map(function (r) { return r.volume; }),
      },
    ];
    if (withSchedule) {
      series.push({
        name: label("available"), type: "line", step: "middle",
        data: rows.map(function (r) { return r.available; }),
      });
    }
    staffingChart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 60 },
      dataZoom: rows.length > 96 ? [{ type: "slider", bottom: 10 }] : [],
      xAxis: { type: "category", data: axisLabels(rows) },
      yAxis: [
        { type: "value", name: label("agents"), minInterval: 1 },
        { type: "value", name: label("volume"), splitLine: { show: false } },
      ],
      series: series,
    }, true);
    var required = rows.reduce(function (sum, r) { return sum + r.required; }, 0);
    var peak = rows.reduce(function (max, r) { return Math.max(max, r.scheduled); }, 0);
    chartBox.setAttribute("data-required-total", String(required));
    chartBox.setAttribute("data-intervals", String(rows.length));
    document.getElementById("wi-summary").textContent = (root.getAttribute("data-msg-summary") || "")
      .replace("%(required)s", String(required))
      .replace("%(peak)s", String(peak));
  }

  function refresh() {
    var mine = ++sequence;
    var inputs = collect();
    var hidden = document.getElementById("wi-inputs");
    if (hidden) hidden.value = JSON.stringify(inputs);
    pending = post(root.getAttribute("data-staffing-url"), inputs).then(function (answer) {
      if (mine !== sequence) return; // a newer request is on its way
      clearErrors();
      if (answer.ok) {
        drawStaffing(answer.body.intervals || []);
      } else {
        showErrors(answer.body);
      }
    });
  }

  function scheduleRefresh() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  }

  function toggleTarget() {
    var kind = value("target_kind") || "service_level";
    root.querySelectorAll("[data-target]").forEach(function (el) {
      el.hidden = el.getAttribute("data-target") !== kind;
    });
  }

  function addShift(shift) {
    var template = document.getElementById("wi-shift-template");
    var row = template.content.firstElementChild.cloneNode(true);
    if (shift) {
      row.querySelector('[data-shift="employee"]').value = String(shift.employee);
      row.querySelector('[data-shift="start"]').value = String(shift.start || "").slice(0, 16);
      row.querySelector('[data-shift="end"]').value = String(shift.end || "").slice(0, 16);
    }
    document.getElementById("wi-schedule").appendChild(row);
    return row;
  }

  function fill(inputs) {
    if (!inputs || typeof inputs !== "object") return;
    function set(name, v) {
      var field = form.elements.namedItem(name);
      if (field && v !== undefined && v !== null) field.value = String(v);
    }
    set("snapshot", inputs.snapshot);
    if (inputs.volume_multiplier !== undefined && inputs.volume_multiplier !== null) {
      set("volume_percent", Math.round(Number(inputs.volume_multiplier) * 1000) / 10);
    }
    ["aht_seconds", "target_kind", "service_level_percent", "service_level_seconds", "asa_seconds",
      "shrinkage_percent", "patience_seconds"].forEach(function (name) { set(name, inputs[name]); });
    (inputs.schedule || []).forEach(addShift);
  }

  function save() {
    var saved = document.getElementById("wi-saved");
    saved.hidden = true;
    post(root.getAttribute("data-scenarios-url"), { name: value("name"), inputs: collect() }).then(function (answer) {
      clearErrors();
      if (!answer.ok) {
        showErrors(answer.body);
        return;
      }
      saved.textContent = root.getAttribute("data-msg-saved");
      saved.hidden = false;
      var list = document.getElementById("wi-scenarios");
      var link = document.createElement("a");
      link.className = "list-group-item list-group-item-action";
      link.href = root.getAttribute("data-what-if-url") + "?scenario=" + answer.body.id;
      link.textContent = answer.body.name;
      list.insertBefore(link, list.firstChild);
    });
  }

  // --- simulation result -----------------------------------------------------------------------------

  function percent(v) {
    return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
  }

  function drawSimulation() {
    var data = document.getElementById("sim-result-data");
    if (!data) return;
    var result = JSON.parse(data.textContent || "null") || { intervals: [], totals: {} };
    var rows = result.intervals || [];
    simCharts.forEach(function (chart) { chart.dispose(); });
    simCharts = [];
    var main = window.echarts.init(document.getElementById("sim-chart"));
    main.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 40 },
      xAxis: { type: "category", data: axisLabels(rows) },
      yAxis: [
        { type: "value", name: label("offered"), minInterval: 1 },
        { type: "value", name: "%", max: 100, min: 0, splitLine: { show: false } },
      ],
      series: [
        { name: label("offered"), type: "bar", data: rows.map(function (r) { return r.offered; }) },
        { name: label("answered"), type: "bar", data: rows.map(function (r) { return r.answered; }) },
        { name: label("simulated-service-level"), type: "line", yAxisIndex: 1, data: rows.map(function (r) { return percent(r.service_level); }) },
        { name: label("abandon-rate"), type: "line", yAxisIndex: 1, data: rows.map(function (r) { return percent(r.abandon_rate); }) },
        { name: label("occupancy"), type: "line", yAxisIndex: 1, data: rows.map(function (r) { return percent(r.occupancy); }) },
      ],
    });
    var asa = window.echarts.init(document.getElementById("sim-chart-asa"));
    asa.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 24, top: 30, bottom: 30 },
      xAxis: { type: "category", data: axisLabels(rows) },
      yAxis: { type: "value", name: label("asa") },
      series: [{ name: label("asa"), type: "line", data: rows.map(function (r) { return r.asa_seconds; }) }],
    });
    simCharts = [main, asa];
    var totals = result.totals || {};
    var box = document.getElementById("sim-totals");
    box.textContent = "";
    [
      [label("offered"), totals.offered],
      [label("simulated-service-level"), totals.service_level !== undefined ? percent(totals.service_level) + "%" : "—"],
      [label("abandon-rate"), totals.abandon_rate !== undefined ? percent(totals.abandon_rate) + "%" : "—"],
      [label("occupancy"), totals.occupancy !== undefined ? percent(totals.occupancy) + "%" : "—"],
    ].forEach(function (pair) {
      var col = document.createElement("div");
      col.className = "col-6 col-md-3";
      var title = document.createElement("div");
      title.className = "text-secondary small";
      title.textContent = pair[0];
      var figure = document.createElement("div");
      figure.className = "h3 m-0";
      figure.textContent = pair[1] === undefined || pair[1] === null ? "—" : String(pair[1]);
      col.appendChild(title);
      col.appendChild(figure);
      box.appendChild(col);
    });
    document.getElementById("sim-chart").setAttribute("data-rendered", String(rows.length));
  }

  function start() {
    root = document.getElementById("what-if");
    if (!root || !window.echarts) return;
    form = document.getElementById("what-if-form");
    var stored = document.getElementById("what-if-scenario-inputs");
    fill(stored ? JSON.parse(stored.textContent || "{}") : {});
    toggleTarget();
    form.addEventListener("input", function (event) {
      if (event.target.classList.contains("wi-input")) scheduleRefresh();
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === "target_kind") toggleTarget();
      if (event.target.classList.contains("wi-input")) scheduleRefresh();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    document.getElementById("wi-add-shift").addEventListener("click", function () {
      addShift(null);
    });
    document.getElementById("wi-schedule").addEventListener("click", function (event) {
      var button = event.target.closest(".wi-remove-shift");
      if (button) {
        button.closest(".wi-shift").remove();
        scheduleRefresh();
      }
    });
    document.getElementById("wi-save").addEventListener("click", save);
    var simulate = document.getElementById("simulate-form");
    if (simulate) {
      // The hidden field must hold the inputs as they are when the button is pressed.
      simulate.addEventListener("htmx:configRequest", function (event) {
        event.detail.parameters.inputs = JSON.stringify(collect());
      });
    }
    document.body.addEventListener("htmx:afterSettle", function () {
      if (document.getElementById("sim-result-data") && !document.getElementById("sim-chart").hasAttribute("data-rendered")) {
        drawSimulation();
      }
    });
    window.addEventListener("resize", function () {
      if (staffingChart) staffingChart.resize();
      simCharts.forEach(function (chart) { chart.resize(); });
    });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
