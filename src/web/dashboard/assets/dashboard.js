/* global Chart, document */
// Draws each <canvas data-chart="id"> from the JSON in <script type="application/json" id="id">.
// Served as a file (the CSP allows no inline script); the tables beside the charts carry the same numbers.
(function () {
  'use strict';
  var PALETTE = ['#1565c0', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#558b2f', '#4e342e', '#37474f', '#f9a825', '#c62828'];

  function colour(i) {
    return PALETTE[i % PALETTE.length];
  }

  function config(spec) {
    var doughnut = spec.type === 'doughnut';
    var datasets = spec.series.map(function (series, i) {
      return {
        label: series.name,
        data: series.values,
        backgroundColor: doughnut ? spec.labels.map(function (_, j) { return colour(j); }) : series.color || colour(i),
        borderWidth: doughnut ? 1 : 0,
      };
    });
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom', display: doughnut || spec.series.length > 1 } },
    };
    if (!doughnut) {
      options.scales = {
        x: { stacked: Boolean(spec.stacked) },
        y: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { precision: 0 } },
      };
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw(canvas) {
    var block = document.getElementById(canvas.getAttribute('data-chart'));
    if (!block) return;
    try {
      new Chart(canvas, config(JSON.parse(block.textContent)));
      canvas.setAttribute('data-rendered', 'true');
    } catch (error) {
      canvas.setAttribute('data-error', String(error && error.message));
    }
  }

  if (typeof Chart === 'undefined') return;
  document.documentElement.classList.add('js');
  Array.prototype.forEach.call(document.querySelectorAll('canvas[data-chart]'), draw);
})();
