/* 报表: draws the ECharts charts from the JSON the server put in the report body, and draws them
   again after htmx swaps in a new body (a filter change). The same numbers are in the tables. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : null; } catch (e) { return null; }
  }

  function pct(rate) { return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10; }
  function hours(seconds) { return seconds === null || seconds === undefined ? null : Math.round(seconds / 36) / 100; }
  function names(rows) { return rows.map(function (r) { return r.name; }); }

  var grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
  var tooltip = { trigger: "axis", confine: true };

  function rateChart(rows, t) {
    return {
      tooltip: tooltip, grid: grid,
      legend: { top: 0 },
      xAxis: { type: "category", data: names(rows), axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t.response, type: "bar", data: rows.map(function (r) { return pct(r.response_met_rate); }) },
        { name: t.resolution, type: "bar", data: rows.map(function (r) { return pct(r.resolution_met_rate); }) },
      ],
    };
  }

  var builders = {
    series: function (d, t) {
      return {
        tooltip: tooltip, grid: grid, legend: { top: 0 },
        xAxis: { type: "category", data: d.series.map(function (r) { return r.date.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: t.created, type: "bar", data: d.series.map(function (r) { return r.created; }) },
          { name: t.resolved, type: "bar", data: d.series.map(function (r) { return r.resolved; }) },
          { name: t.backlog, type: "line", smooth: true, data: d.series.map(function (r) { return r.backlog; }) },
        ],
      };
    },
    ola_queue: function (d, t) { return rateChart(d.by_queue, t); },
    ola_priority: function (d, t) { return rateChart(d.by_priority, t); },
    durations: function (d, t) {
      var x = d.durations;
      return {
        tooltip: tooltip, grid: grid, legend: { top: 0 },
        xAxis: { type: "category", data: [t.firstResponse, t.resolve] },
        yAxis: { type: "value", name: t.hours },
        series: [
          { name: t.mean, type: "bar", data: [hours(x.mean_response_seconds), hours(x.mean_resolution_seconds)] },
          { name: "P50", type: "bar", data: [hours(x.p50_response_seconds), hours(x.p50_resolution_seconds)] },
          { name: "P90", type: "bar", data: [hours(x.p90_response_seconds), hours(x.p90_resolution_seconds)] },
        ],
      };
    },
    top_catalog: function (d, t) {
      var rows = d.top_catalog.slice().reverse();
      return {
        tooltip: tooltip, grid: grid,
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: names(rows), axisLabel: { width: 120, overflow: "truncate" } },
        series: [{ name: t.created, type: "bar", data: rows.map(function (r) { return r.created; }) }],
      };
    },
    handler: function (d, t) {
      var rows = d.by_handler;
      return {
        tooltip: tooltip, grid: grid, legend: { top: 0 },
        xAxis: { type: "category", data: names(rows), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0, hideOverlap: true } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: t.created, type: "bar", data: rows.map(function (r) { return r.created; }) },
          { name: t.resolved, type: "bar", data: rows.map(function (r) { return r.resolved; }) },
          { name: t.backlog, type: "bar", data: rows.map(function (r) { return r.backlog; }) },
        ],
      };
    },
    urges: function (d, t) {
      var rows = d.by_queue;
      return {
        tooltip: tooltip, grid: grid, legend: { top: 0 },
        xAxis: { type: "category", data: names(rows), axisLabel: { interval: 0, hideOverlap: true } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: t.urges, type: "bar", data: rows.map(function (r) { return r.urges; }) }],
      };
    },
  };

  function draw() {
    if (!window.echarts) { return; }
    var data = readJson("report-data");
    var labels = readJson("report-labels") || {};
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var old = window.echarts.getInstanceByDom(node);
      if (old) { old.dispose(); }
      var build = builders[node.dataset.chart];
      if (!data || !build) { return; }
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(build(data, labels));
      node.dataset.drawn = "true";
    });
  }

  window.andonReports = { draw: draw };
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:historyRestore", draw);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "report-body") { draw(); }
  });
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      document.querySelectorAll("[data-chart]").forEach(function (node) {
        var chart = window.echarts && window.echarts.getInstanceByDom(node);
        if (chart) { chart.resize(); }
      });
    }, 150);
  });
})();
