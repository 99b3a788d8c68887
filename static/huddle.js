/* The huddle screen: shows one panel at a time and advances by itself (data-interval seconds),
   with pause, dots, arrow keys and full screen; charts download as PNG on a solid background
   (slides), the standings as SVG from the server. The charts themselves are podium.js's and
   pareto.js's. */
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("huddle");
    if (!root) return;
    var panels = Array.prototype.slice.call(root.querySelectorAll("[data-panel]"));
    var dots = Array.prototype.slice.call(root.querySelectorAll("[data-goto]"));
    var pause = root.querySelector("[data-huddle=pause]");
    var seconds = Number(root.dataset.interval) || 15;
    var current = 0, timer = null;

    function show(index) {
      if (!panels.length) return;
      current = (index + panels.length) % panels.length;
      panels.forEach(function (panel, i) { panel.hidden = i !== current; });
      dots.forEach(function (dot, i) { dot.classList.toggle("on", i === current); });
      root.dataset.current = panels[current].dataset.panel;
      // A chart drawn while its panel was hidden has no size yet.
      var canvas = panels[current].querySelector("canvas");
      var chart = canvas && typeof Chart !== "undefined" ? Chart.getChart(canvas) : null;
      if (chart) chart.resize();
    }
    function schedule() {
      clearInterval(timer);
      if (pause && pause.getAttribute("aria-pressed") === "true") return;
      timer = setInterval(function () { show(current + 1); }, seconds * 1000);
    }

    dots.forEach(function (dot) {
      dot.addEventListener("click", function () { show(Number(dot.dataset.goto)); schedule(); });
    });
    if (pause) {
      pause.addEventListener("click", function () {
        var paused = pause.getAttribute("aria-pressed") !== "true";
        pause.setAttribute("aria-pressed", String(paused));
        pause.textContent = paused ? "Play" : "Pause";
        schedule();
      });
    }
    var full = root.querySelector("[data-huddle=fullscreen]");
    if (full) {
      full.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.target.closest && event.target.closest("input, canvas")) return;
      if (event.key === "ArrowRight") { show(current + 1); schedule(); }
      if (event.key === "ArrowLeft") { show(current - 1); schedule(); }
    });

    /* PNG for slides: the chart on the page's card colour (a transparent PNG is unreadable on a
       dark slide). The link's href is filled in at click time, before the browser follows it. */
    Array.prototype.forEach.call(root.querySelectorAll("[data-png]"), function (link) {
      link.addEventListener("click", function () {
        var canvas = document.getElementById(link.dataset.png);
        var chart = canvas && Chart.getChart(canvas);
        if (!chart) return;
        var out = document.createElement("canvas");
        out.width = canvas.width; out.height = canvas.height;
        var ctx = out.getContext("2d");
        ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--card").trim() || "#ffffff";
        ctx.fillRect(0, 0, out.width, out.height);
        ctx.drawImage(canvas, 0, 0);
        link.href = out.toDataURL("image/png");
      });
    });

    show(0);
    schedule();
  }

  // After podium.js and pareto.js (loaded first) have drawn the charts into the panels.
  document.addEventListener("DOMContentLoaded", start);
})();
