/* Podium's own browser code: upload progress, leaderboard charts, keeping open details open
   across live (htmx) refreshes. No framework; Chart.js and htmx are vendored in static/vendor. */
(function () {
  "use strict";

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  /* Upload with a progress bar: XHR's upload progress events, the file streamed by the browser. */
  function wireUpload(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var bar = form.querySelector(".progress");
      var fill = form.querySelector(".progress .bar");
      var status = form.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      var started = Date.now();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken") || "");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        var secs = Math.max((Date.now() - started) / 1000, 0.001);
        fill.style.width = pct + "%";
        status.textContent = "Uploading " + mb(e.loaded) + " of " + mb(e.total) +
          " (" + pct + "%, " + mb(e.loaded / secs) + "/s)";
      });
      xhr.upload.addEventListener("load", function () {
        status.textContent = "Upload complete; storing the archive (a large one takes a while). " +
          "A check that needs longer goes on in your runs list, with its progress.";
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: xhr.responseText }; }
        if (xhr.status >= 200 && xhr.status < 300) {
          status.textContent = body.message || "Submitted.";
          window.location.href = body.redirect || window.location.href;
        } else {
          bar.classList.remove("shown");
          button.disabled = false;
          status.textContent = body.error || ("The server answered " + xhr.status + ".");
          status.style.color = "#d93025";
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        status.textContent = "The upload was interrupted (network error); try again.";
        status.style.color = "#d93025";
      });
      status.style.color = "";
      bar.classList.add("shown");
      button.disabled = true;
      xhr.send(data);
    });
  }

  /* Charts: score per attempt over time (line) and runtime per team (bar). */
  var PALETTE = ["#4f46e5", "#0f9d58", "#e8710a", "#d93025", "#9334e6", "#12b5cb", "#f9ab00",
    "#e52592", "#1a73e8", "#188038", "#a142f4", "#5f6368"];
  var charts = {};

  var teamColours = {};
  /* One colour per team in both charts: assigned in name order, stable across refreshes. */
  function assignColours(data) {
    var names = data.lines.map(function (l) { return l.team; })
      .concat(data.bars.map(function (b) { return b.team; }))
      .filter(function (name, i, all) { return all.indexOf(name) === i; }).sort();
    teamColours = {};
    names.forEach(function (name, i) { teamColours[name] = PALETTE[i % PALETTE.length]; });
  }
  function colour(team, reference) { return reference ? "#9aa0b4" : teamColours[team] || PALETTE[0]; }

  /* Times in the competition's zone (chart data's "zone"), 24-hour, whatever the browser's. */
  var zone = "UTC";
  function parts(value, withDate, withSeconds) {
    var options = { timeZone: zone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" };
    if (withSeconds) options.second = "2-digit";
    if (withDate) { options.month = "short"; options.day = "numeric"; }
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(value));
  }
  function timeLabel(value, span) {
    if (span < 36e5) return parts(value, false, true);
    if (span < 864e5) return parts(value, false, false);
    return parts(value, true, false);
  }
  function fullTime(value) {
    return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short" }).format(new Date(value));
  }

  /* Each bar says its value (and ▲n for an efficiency bonus) above it: readable without hovering. */
  var barValues = {
    id: "podiumBarValues",
    afterDatasetsDraw: function (chart) {
      var dataset = chart.data.datasets[0];
      if (!dataset || !dataset.bars) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillStyle = getComputedStyle(document.body).color;
      chart.getDatasetMeta(0).data.forEach(function (bar, i) {
        var b = dataset.bars[i];
        var text = figure(b.value, b.unit) + (b.bonus ? "  ▲" + b.moved + " bonus" : "");
        ctx.fillText(text, bar.x, bar.y - 6);
      });
      ctx.restore();
    },
  };

  function readChartData() {
    var node = document.getElementById("chart-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (err) { return null; }
  }

  function lineDatasets(data) {
    return data.lines.map(function (line) {
      return {
        label: line.team + (line.reference ? " (reference)" : ""),
        data: line.points.map(function (p) { return { x: Date.parse(p.x), y: p.y, attempt: p.attempt }; }),
        borderColor: colour(line.team, line.reference),
        backgroundColor: colour(line.team, line.reference),
        borderDash: line.reference ? [6, 4] : [],
        tension: 0.2, pointRadius: 4, pointHoverRadius: 6,
      };
    });
  }

  /* A ranked figure as the table shows it: seconds with 2 decimals, kWh with 4. */
  function figure(value, unit) {
    return value.toFixed(unit === "kWh" ? 4 : 2) + " " + unit;
  }

  function barData(data) {
    return {
      labels: data.bars.map(function (b) { return b.team; }),
      datasets: [{
        label: (data.metric_title || "Efficiency") + ": the figure the ranking used",
        data: data.bars.map(function (b) { return b.value; }),
        backgroundColor: data.bars.map(function (b) { return b.reference ? "#c4c8d6" : colour(b.team, false); }),
        borderColor: data.bars.map(function (b) { return b.bonus ? "#0f9d58" : "transparent"; }),
        borderWidth: data.bars.map(function (b) { return b.bonus ? 3 : 0; }),
        borderRadius: 4,
        ranges: data.bars.map(function (b) { return [b.low, b.high]; }),
        bars: data.bars,
      }],
    };
  }

  /* Pad the time axis (a single attempt would otherwise get an axis spanning years). */
  function timeRange(datasets) {
    var xs = [];
    datasets.forEach(function (d) { d.data.forEach(function (p) { xs.push(p.x); }); });
    if (!xs.length) return {};
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    var pad = Math.max((hi - lo) * 0.05, 60000);
    return { min: lo - pad, max: hi + pad };
  }

  function drawCharts() {
    var data = readChartData();
    if (!data || typeof Chart === "undefined") return;
    zone = data.zone || "UTC";
    // Axis text and grid follow the page's (light or dark) theme.
    var style = getComputedStyle(document.body);
    Chart.defaults.color = style.color;
    Chart.defaults.borderColor = style.getPropertyValue("--line").trim() || Chart.defaults.borderColor;
    // Hidden (unpublished) boards carry no chart data; a live refresh may publish them.
    var box = document.querySelector(".charts");
    if (box) box.hidden = data.lines.length === 0 && data.bars.length === 0;
    assignColours(data);
    var lineCanvas = document.getElementById("attempts-chart");
    var barCanvas = document.getElementById("runtime-chart");
    if (lineCanvas) {
      var datasets = lineDatasets(data), range = timeRange(datasets);
      if (charts.line) {
        charts.line.data.datasets = datasets;
        charts.line.options.scales.x.min = range.min;
        charts.line.options.scales.x.max = range.max;
        charts.line.update("none");
      }
      else {
        charts.line = new Chart(lineCanvas, {
          type: "line",
          data: { datasets: datasets },
          options: {
            maintainAspectRatio: false, animation: false, parsing: false,
            scales: {
              x: { type: "linear", min: range.min, max: range.max, title: { display: true, text: "time (" + zone + ")" },
                ticks: { maxTicksLimit: 6, callback: function (v) { return timeLabel(v, this.max - this.min); } } },
              y: { title: { display: true, text: "overall score" } },
            },
            plugins: {
              legend: { position: "bottom", labels: { boxWidth: 12 } },
              tooltip: { callbacks: {
                title: function (items) { return fullTime(items[0].raw.x); },
                label: function (item) { return item.dataset.label + " — attempt " + item.raw.attempt + ": " + item.raw.y.toFixed(2); },
              } },
            },
          },
        });
      }
    }
    if (barCanvas) {
      if (charts.bar) { charts.bar.data = barData(data); charts.bar.update("none"); }
      else {
        charts.bar = new Chart(barCanvas, {
          type: "bar",
          data: barData(data),
          plugins: [barValues],
          options: {
            maintainAspectRatio: false, animation: false, layout: { padding: { top: 22 } },
            scales: { y: { beginAtZero: true, grace: "12%", title: { display: true, text: data.metric_title || "" } } },
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { label: function (item) {
                var r = item.dataset.ranges[item.dataIndex];
                var b = item.dataset.bars[item.dataIndex];
                var text = figure(item.raw, b.unit);
                if (r && r[1] > r[0]) text += " (" + figure(r[0], b.unit) + "–" + figure(r[1], b.unit) + " over " + b.source + ")";
                if (b.bonus) text += "; efficiency bonus: up " + b.moved;
                return text + " · attempt " + b.attempt;
              } } },
            },
          },
        });
      }
    }
  }

  /* Live refresh swaps the board; keep the per-language details the reader opened. */
  var openDetails = [];
  document.addEventListener("htmx:beforeSwap", function () {
    openDetails = Array.prototype.map.call(document.querySelectorAll("details[id][open]"), function (d) { return d.id; });
  });
  document.addEventListener("htmx:afterSwap", function () {
    openDetails.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    drawCharts();
  });

  /* Countdowns to a phase's close ([data-closes]): the words competitions/countdown.py writes
     on the server, kept ticking here (the page reads right without this script too). */
  function countdownWords(closes, now) {
    var left = Math.floor((closes - now) / 1000);
    if (left <= 0) return "closed";
    var days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
    var minutes = Math.floor((left % 3600) / 60), words;
    if (days) words = days + (days === 1 ? " day" : " days") + (hours ? " " + hours + " h" : "");
    else if (hours) words = hours + " h" + (minutes ? " " + minutes + " min" : "");
    else if (minutes) words = minutes + " min";
    else words = "under a minute";
    return "closes in " + words;
  }
  function tickCountdowns() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-closes]"), function (el) {
      var words = el.querySelector(".countdown-words");
      var text = countdownWords(Date.parse(el.dataset.closes), now);
      if (words && words.textContent !== text) words.textContent = text;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), wireUpload);
    drawCharts();
    if (document.querySelector("[data-closes]")) { tickCountdowns(); setInterval(tickCountdowns, 1000); }
  });
})();
