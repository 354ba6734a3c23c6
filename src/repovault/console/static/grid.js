// The backup-window grid as one keyboard widget: a single tab stop (roving tabindex), the
// arrow keys move between hours and days, Home/End go to a day's first and last hour, and
// Space ticks the hour (the checkbox's own behaviour). Without JavaScript every hour stays a
// plain checkbox, reachable with Tab.
(function () {
  "use strict";
  function setUp(table) {
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("input[type=checkbox]"));
    });
    var all = [].concat.apply([], rows);
    if (!all.length) return;
    function focus(box) {
      all.forEach(function (other) { other.tabIndex = other === box ? 0 : -1; });
      box.focus();
    }
    all.forEach(function (box) { box.tabIndex = -1; });
    all[0].tabIndex = 0;
    table.addEventListener("keydown", function (event) {
      var box = event.target;
      var r = rows.findIndex(function (row) { return row.indexOf(box) >= 0; });
      if (r < 0) return;
      var c = rows[r].indexOf(box);
      var moves = {
        ArrowLeft: [r, c - 1], ArrowRight: [r, c + 1], ArrowUp: [r - 1, c],
        ArrowDown: [r + 1, c], Home: [r, 0], End: [r, rows[r].length - 1]
      };
      var to = moves[event.key];
      if (!to) return;
      event.preventDefault();
      var row = rows[Math.max(0, Math.min(rows.length - 1, to[0]))];
      focus(row[Math.max(0, Math.min(row.length - 1, to[1]))]);
    });
    table.addEventListener("focusin", function (event) {
      if (all.indexOf(event.target) >= 0) focus(event.target);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-grid]").forEach(setUp);
  });
  // A "select every row" box: ticks or clears the boxes named by its data-select-all
  // within its form (the list htmx swaps in keeps working: the listener is the document's).
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("input[data-select-all]")) return;
    var boxes = all.form.querySelectorAll("input[name='" + all.dataset.selectAll + "']");
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
})();
