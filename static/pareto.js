/* The ranking as a picture: draws the score-against-efficiency chart whose data
   competitions/pareto.py computed (points, front, baseline, arrows, pass regions). Nothing is
   decided here. Colours come from the page's CSS variables, so the dark theme applies. */
(function () {
  "use strict";

  function cssColour(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function theme() {
    return {
      ink: cssColour("--ink", "#1d2233"),
      muted: cssColour("--muted", "#646b80"),
      line: cssColour("--line", "#e3e6ef"),
      accent: cssColour("--accent", "#4f46e5"),
      good: cssColour("--good", "#0f9d58"),
      ref: cssColour("--ref", "#8a8fa3"),
    };
  }

  function readData(id) {
    var node = document.getElementById(id || "pareto-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (err) { return null; }
  }

  /* Tooltips do not wrap: the reason sentence in lines of about 48 characters. */
  function wrap(text, width) {
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  }

  function fmt(value) { return Number(value).toPrecision(3); }

  function bounds(data) {
    var xs = [], ys = [];
    data.points.concat(data.baseline).forEach(function (p) {
      if (p.x !== null) { xs.push(p.x); ys.push(p.y); }
    });
    data.regions.forEach(function (r) { xs.push(r.figure_above * 1.15); });
    data.arrows.forEach(function (a) { ys.push(a.to_y); });
    if (!xs.length) return null;
    var yLo = Math.min.apply(null, ys), yHi = Math.max.apply(null, ys);
    var yPad = Math.max((yHi - yLo) * 0.12, 1);
    return {
      xMin: Math.min.apply(null, xs) / 1.6, xMax: Math.max.apply(null, xs) * 1.6,
      yMin: Math.floor(yLo - yPad), yMax: Math.ceil(yHi + yPad),
    };
  }

  /* A label inside the plot: moved left where it would run past the right edge (a phone's
     narrow chart clipped "could pass" and the baseline's name); where it went is kept on the
     chart for the browser test. */
  function label(chart, text, px, py) {
    var ctx = chart.ctx, area = chart.chartArea, width = ctx.measureText(text).width;
    var at = Math.max(area.left + 2, Math.min(px, area.right - width - 2));
    ctx.fillText(text, at, py);
    chart.$paretoLabels.push({ text: text, x: at, width: width, right: area.right });
  }

  /* Shaded pass regions under the points; arrows and team names over them. */
  var extras = {
    id: "paretoExtras",
    beforeDraw: function (chart) { chart.$paretoLabels = []; },
    beforeDatasetsDraw: function (chart) {
      var data = chart.$pareto, x = chart.scales.x, y = chart.scales.y, area = chart.chartArea;
      if (!data) return;
      var ctx = chart.ctx, colours = theme();
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      data.regions.forEach(function (r) {
        var left = x.getPixelForValue(r.figure_above);
        var top = y.getPixelForValue(r.score_below), bottom = y.getPixelForValue(r.score_from);
        ctx.globalAlpha = 0.13;
        ctx.fillStyle = colours.good;
        ctx.fillRect(left, top, area.right - left, bottom - top);
        ctx.globalAlpha = 0.7;
        ctx.strokeStyle = colours.good;
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(left, top, area.right - left, bottom - top);
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
        ctx.fillStyle = colours.good;
        ctx.font = "11px system-ui, sans-serif";
        label(chart, r.team + " could pass", left + 4, Math.max(top, area.top) + 12);
      });
      ctx.restore();
    },
    afterDatasetsDraw: function (chart) {
      var data = chart.$pareto, x = chart.scales.x, y = chart.scales.y;
      if (!data) return;
      var ctx = chart.ctx, colours = theme();
      ctx.save();
      data.arrows.forEach(function (a) {
        var px = x.getPixelForValue(a.x), from = y.getPixelForValue(a.from_y);
        var to = y.getPixelForValue(a.to_y) + 6;
        ctx.strokeStyle = colours.good; ctx.fillStyle = colours.good; ctx.lineWidth = 2.5;
        ctx.beginPath(); ctx.moveTo(px, from - 7); ctx.lineTo(px, to); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(px, to - 7); ctx.lineTo(px - 6, to + 3); ctx.lineTo(px + 6, to + 3);
        ctx.closePath(); ctx.fill();
        ctx.font = "bold 12px system-ui, sans-serif";
        ctx.fillText("▲" + a.places, px + 8, (from + to) / 2);
      });
      /* Each score's 95% interval as a whisker (competitions/pareto.py: low, high). */
      ctx.strokeStyle = colours.ink; ctx.lineWidth = 1; ctx.globalAlpha = 0.55;
      data.points.forEach(function (p) {
        if (p.x === null || p.low === null) return;
        var px = x.getPixelForValue(p.x), lo = y.getPixelForValue(p.low), hi = y.getPixelForValue(p.high);
        ctx.beginPath(); ctx.moveTo(px, lo); ctx.lineTo(px, hi);
        ctx.moveTo(px - 4, lo); ctx.lineTo(px + 4, lo); ctx.moveTo(px - 4, hi); ctx.lineTo(px + 4, hi);
        ctx.stroke();
      });
      ctx.globalAlpha = 1;
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillStyle = colours.ink;
      data.points.forEach(function (p) {
        if (p.x === null) return;
        label(chart, p.team, x.getPixelForValue(p.x) + 8, y.getPixelForValue(p.y) + 14);
      });
      ctx.fillStyle = colours.ref;
      data.baseline.forEach(function (b) {
        label(chart, b.team, x.getPixelForValue(b.x) + 9, y.getPixelForValue(b.y) - 8);
      });
      ctx.restore();
    },
  };

  function datasets(data, colours) {
    var plotted = data.points.filter(function (p) { return p.x !== null; });
    return [
      {
        type: "line", label: "Pareto front", order: 3,
        data: data.front.map(function (p) { return { x: p.x, y: p.y }; }),
        borderColor: colours.accent, borderWidth: 1.5, borderDash: [6, 4], pointRadius: 0,
        pointHitRadius: 0, fill: false,
      },
      {
        type: "scatter", label: "Teams", order: 1,
        data: plotted.map(function (p) { return { x: p.x, y: p.y, point: p }; }),
        backgroundColor: plotted.map(function (p) { return p.moved > 0 ? colours.good : colours.accent; }),
        borderColor: colours.ink, borderWidth: 1,
        pointRadius: 7, pointHoverRadius: 10,
      },
      {
        type: "scatter", label: "Baseline", order: 2,
        data: data.baseline.map(function (b) { return { x: b.x, y: b.y, baseline: b }; }),
        pointStyle: "rectRot", pointRadius: 9, pointHoverRadius: 11,
        backgroundColor: colours.ref, borderColor: colours.ref,
      },
    ];
  }

  /* The point in words: lines for the tooltip (the reason wrapped), or one line of text. */
  function describe(raw, data, wrapped) {
    if (raw.baseline) return [raw.baseline.team + " (baseline): score " + fmt(raw.baseline.y) + ", " + fmt(raw.baseline.x) + " " + data.unit + ", not ranked"];
    var p = raw.point;
    var head = [p.team + ": score " + fmt(p.y) + (p.low === null ? "" : " (95% interval " + fmt(p.low) + "–" + fmt(p.high) + ")") + ", " + fmt(p.x) + " " + data.unit,
      p.move_words + (p.tied ? "; tied with its neighbours, ranks " + p.rank_band : "")];
    return head.concat(wrapped ? wrap(p.reason, 48) : [p.reason]);
  }

  function showReason(chart, raw) {
    var target = document.getElementById(chart.canvas.getAttribute("aria-describedby"));
    if (target && raw) target.textContent = describe(raw, chart.$pareto, false).join(" — ");
  }

  function options(data, range, colours) {
    return {
      maintainAspectRatio: false, animation: false,
      interaction: { mode: "nearest", intersect: true },
      scales: {
        x: { type: "logarithmic", min: range.xMin, max: range.xMax,
          title: { display: true, text: data.axis, color: colours.muted },
          ticks: { color: colours.muted, autoSkip: true, autoSkipPadding: 14,
            maxTicksLimit: window.innerWidth < 600 ? 4 : 8,
            callback: function (v) { return String(Number(Number(v).toPrecision(2))); } },
          grid: { color: colours.line } },
        y: { min: range.yMin, max: range.yMax,
          title: { display: true, text: "overall score", color: colours.muted },
          ticks: { color: colours.muted }, grid: { color: colours.line } },
      },
      plugins: {
        legend: { position: "bottom", labels: { color: colours.ink, boxWidth: 12 } },
        tooltip: { filter: function (item) { return item.datasetIndex > 0; },
          callbacks: { title: function () { return ""; },
            label: function (item) { return describe(item.raw, data, true); } } },
      },
      onHover: function (event, elements, chart) {
        var hit = elements.filter(function (e) { return e.datasetIndex > 0; })[0];
        if (hit) showReason(chart, chart.data.datasets[hit.datasetIndex].data[hit.index]);
      },
    };
  }

  /* Keyboard: arrow keys step through the teams, the tooltip and the reason follow. */
  function wireKeys(canvas) {
    if (canvas.dataset.paretoKeys) return;
    canvas.dataset.paretoKeys = "1";
    var focused = -1;
    function select(step) {
      var chart = Chart.getChart(canvas);
      var count = chart ? chart.data.datasets[1].data.length : 0;
      if (!count) return;
      focused = (focused + step + count) % count;
      var active = [{ datasetIndex: 1, index: focused }];
      chart.setActiveElements(active);
      chart.tooltip.setActiveElements(active, { x: 0, y: 0 });
      chart.update("none");
      showReason(chart, chart.data.datasets[1].data[focused]);
    }
    canvas.addEventListener("focus", function () { if (focused < 0) select(1); });
    canvas.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowDown") { select(1); event.preventDefault(); }
      if (event.key === "ArrowLeft" || event.key === "ArrowUp") { select(-1); event.preventDefault(); }
    });
  }

  function draw(canvas, data) {
    if (!canvas || !data || typeof Chart === "undefined") return null;
    var range = bounds(data);
    var existing = Chart.getChart(canvas);
    if (!range) { if (existing) existing.destroy(); return null; }
    var colours = theme();
    if (existing) {
      existing.$pareto = data;
      existing.data.datasets = datasets(data, colours);
      existing.options = options(data, range, colours);
      existing.update("none");
      return existing;
    }
    var chart = new Chart(canvas, {
      data: { datasets: datasets(data, colours) },
      options: options(data, range, colours),
      plugins: [extras],
    });
    chart.$pareto = data;
    chart.update("none");
    wireKeys(canvas);
    return chart;
  }

  function drawBoard() {
    draw(document.getElementById("pareto-chart"), readData("pareto-data"));
  }

  window.PodiumPareto = { draw: draw, readData: readData };
  document.addEventListener("DOMContentLoaded", drawBoard);
  document.addEventListener("htmx:afterSwap", drawBoard);
  // A theme switch (system or page) re-reads the colours.
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", drawBoard);
  }
})();
