/* finecrm workbench: draws the ECharts charts from the JSON the page embeds (no inline scripts: CSP).
   Each chart container has data-chart="<kind>"; after its first render it gets data-rendered="1", which
   the browser tests check. */
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var PALETTE = ["#1f5f8b", "#3f8fc5", "#7cb7df", "#f0a23b", "#d9534f", "#5cb85c", "#8e6bbf", "#999"];

  // Amounts as bank staff read them, in the workspace's currency (body data-currency): ¥2.35万, ¥6,000万,
  // ¥1.23亿 in Chinese, ¥60M in English (the browser's CLDR data, as the server's Babel formats).
  function fmtMoney(v) {
    if (v === null || v === undefined) return "—";
    var en = document.documentElement.lang === "en";
    var cur = (document.body && document.body.dataset.currency) || "CNY";
    return new Intl.NumberFormat(en ? "en" : "zh-CN", { style: "currency", currency: cur, currencyDisplay: "narrowSymbol",
      notation: "compact", maximumSignificantDigits: 3 }).format(v);
  }
  var fmtYuan = fmtMoney;

  var builders = {
    pyramid: function (d, L) {
      var rows = d.tier_pyramid.slice().reverse();
      return {
        tooltip: { trigger: "axis" }, grid: { left: 110, right: 30, top: 72, bottom: 40 },
        legend: { data: [L.customers, L.aum], top: 0 },
        xAxis: [{ type: "value", name: L.customers, nameLocation: "middle", nameGap: 24 },
                { type: "value", name: L.aum, nameLocation: "middle", nameGap: 24, position: "top", axisLabel: { formatter: fmtMoney },
                  splitLine: { show: false } }],
        yAxis: { type: "category", data: rows.map(function (r) { return (L[r.kind] || r.kind) + "·" + r.tier; }) },
        series: [
          { name: L.customers, type: "bar", data: rows.map(function (r) { return r.customers; }), itemStyle: { color: PALETTE[0] } },
          { name: L.aum, type: "bar", xAxisIndex: 1, data: rows.map(function (r) { return r.aum; }), itemStyle: { color: PALETTE[3] },
            tooltip: { valueFormatter: fmtYuan } }
        ]
      };
    },
    pareto: function (d, L) {
      return {
        tooltip: { trigger: "axis", valueFormatter: function (v) { return (v * 100).toFixed(1) + "%"; } },
        grid: { left: 50, right: 20, top: 30, bottom: 45 }, legend: { data: [L.aum_share, L.equal] },
        xAxis: { type: "value", name: L.customer_share, nameLocation: "middle", nameGap: 24, min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
        yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } },
        series: [
          { name: L.aum_share, type: "line", smooth: true, areaStyle: { opacity: 0.15 },
            data: d.pareto.map(function (p) { return [p.customer_share, p.aum_share]; }) },
          { name: L.equal, type: "line", symbol: "none", lineStyle: { type: "dashed", color: "#aaa" }, data: [[0, 0], [1, 1]] }
        ]
      };
    },
    trend: function (d, L) {
      var months = d.trend.map(function (r) { return r.month; });
      return {
        tooltip: { trigger: "axis", valueFormatter: fmtYuan }, legend: { data: [L.aum, L.deposits, L.loans] },
        grid: { left: 70, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", axisLabel: { formatter: fmtYuan } },
        series: ["aum", "deposits", "loans"].map(function (k, i) {
          return { name: L[k], type: "line", data: d.trend.map(function (r) { return r[k]; }), itemStyle: { color: PALETTE[i] } };
        })
      };
    },
    channels: function (d, L) {
      var data = Object.keys(d.channel_mix).map(function (k) { return { name: L.channels[k] || k, value: d.channel_mix[k] }; });
      return { tooltip: { trigger: "item" }, color: PALETTE,
               series: [{ type: "pie", radius: ["35%", "70%"], data: data, label: { formatter: "{b}: {d}%" } }] };
    },
    flows: function (d, L) {
      var rows = d.lifecycle_flow.filter(function (r) { return r.customers > 0; });
      var names = {};
      var links = rows.map(function (r) {
        var s = (L.lifecycle[r.from] || r.from) + " ←", t = "→ " + (L.lifecycle[r.to] || r.to);
        names[s] = 1; names[t] = 1;
        return { source: s, target: t, value: r.customers };
      });
      return { tooltip: { trigger: "item" }, color: PALETTE,
               series: [{ type: "sankey", data: Object.keys(names).map(function (n) { return { name: n }; }), links: links,
                          emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 } }] };
    },
    comparison: function (d, L) {
      var rows = d.comparison.rows;
      return {
        tooltip: { trigger: "axis" }, legend: { data: [L.aum, L.off_counter_rate] },
        grid: { left: 70, right: 50, top: 30, bottom: 60 },
        xAxis: { type: "category", data: rows.map(function (r) { return r.name || r.id; }), axisLabel: { rotate: 30 } },
        yAxis: [{ type: "value", axisLabel: { formatter: fmtYuan } },
                { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return v * 100 + "%"; } } }],
        series: [
          { name: L.aum, type: "bar", data: rows.map(function (r) { return r.aum; }), itemStyle: { color: PALETTE[0] },
            tooltip: { valueFormatter: fmtYuan } },
          { name: L.off_counter_rate, type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r.off_counter_rate; }),
            itemStyle: { color: PALETTE[3] } }
        ]
      };
    },
    "customer-trend": function () {
      var c = json("customer-data");
      if (!c) return null;
      var h = c.history, L = c.labels;
      return {
        tooltip: { trigger: "axis", valueFormatter: fmtYuan }, legend: { data: [L.aum, L.aum_end, L.deposits] },
        grid: { left: 70, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "category", data: h.map(function (r) { return String(r.month).slice(0, 7); }) },
        yAxis: { type: "value", axisLabel: { formatter: fmtYuan } },
        series: [
          { name: L.aum, type: "line", data: h.map(function (r) { return r.aum_avg; }), itemStyle: { color: PALETTE[0] } },
          { name: L.aum_end, type: "line", data: h.map(function (r) { return r.aum_end; }), itemStyle: { color: PALETTE[2] } },
          { name: L.deposits, type: "line", data: h.map(function (r) { return r.deposits_avg; }), itemStyle: { color: PALETTE[3] } }
        ]
      };
    },
    /* A bar or line chart described by the page: {type, categories, series: [{name, data, type?, yAxis?}],
       percent: bool, names: [left axis, right axis]}; read from the JSON block named by data-source. */
    generic: function (d, L, el) {
      var spec = json(el.getAttribute("data-source"));
      if (!spec) return null;
      var pct = function (v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; };
      var axis = function (i) {
        var p = spec.percent_axes ? spec.percent_axes[i] : spec.percent;
        return { type: "value", name: spec.names ? spec.names[i] : "", axisLabel: p ? { formatter: pct } : {} };
      };
      return {
        tooltip: { trigger: "axis" }, grid: { left: 60, right: spec.names && spec.names[1] ? 60 : 20, top: 40, bottom: 50 },
        legend: { data: spec.series.map(function (s) { return s.name; }) },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 4 ? 25 : 0 } },
        yAxis: spec.names && spec.names[1] ? [axis(0), axis(1)] : axis(0),
        series: spec.series.map(function (s, i) {
          return { name: s.name, type: s.type || spec.type || "bar", yAxisIndex: s.yAxis || 0, data: s.data,
                   symbol: s.symbol, symbolSize: s.type === "scatter" ? 14 : undefined,
                   itemStyle: { color: PALETTE[i % PALETTE.length] }, smooth: true,
                   lineStyle: s.dashed ? { type: "dashed" } : undefined };
        })
      };
    },
    breakdown: function () {
      var b = json("breakdown-data");
      if (!b) return null;
      return {
        tooltip: { trigger: "axis" }, grid: { left: 60, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: b.rows.map(function (r) { return r.key === null ? "—" : String(r.key); }), axisLabel: { rotate: 30 } },
        yAxis: { type: "value", name: b.customers },
        series: [{ type: "bar", data: b.rows.map(function (r) { return r.customers; }), itemStyle: { color: PALETTE[0] } }]
      };
    }
  };

  var charts = [];

  // True when no series has a value to draw: an empty result is said in words (body data-empty-chart),
  // not drawn as empty axes.
  function isEmpty(option) {
    var series = option.series || [];
    if (!series.length) return true;
    return series.every(function (s) {
      var data = s.type === "sankey" ? (s.links || []) : (s.data || []);
      return !data.some(function (v) {
        var x = v !== null && typeof v === "object" ? (Array.isArray(v) ? v[1] : v.value) : v;
        return x !== null && x !== undefined && x !== 0 && !(typeof x === "number" && isNaN(x));
      });
    });
  }

  function sayEmpty(el) {
    var note = document.createElement("div");
    note.className = "chart-empty";
    note.setAttribute("data-chart-empty", el.getAttribute("data-chart"));
    note.textContent = (document.body && document.body.dataset.emptyChart) || "—";
    el.replaceWith(note);
  }

  function draw(root) {
    if (typeof echarts === "undefined") return;
    var dash = json("dashboard-data"), labels = json("chart-labels");
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-rendered")) return;
      var build = builders[el.getAttribute("data-chart")];
      var option = build ? build(dash, labels, el) : null;
      if (!option) return;
      if (isEmpty(option)) { sayEmpty(el); return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.on("finished", function () { el.setAttribute("data-rendered", "1"); });
      chart.setOption(option);
      charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  // A button with data-print prints the page (a collection letter): no inline handler, the CSP allows none.
  document.addEventListener("click", function (e) {
    var target = e.target instanceof Element ? e.target.closest("[data-print]") : null;
    if (target) { e.preventDefault(); window.print(); }
  });
})();
