// kg serve pages: sortable tables (click a header). Plain JavaScript, no library.
(function () {
  "use strict";
  function cellValue(td) {
    var raw = td.getAttribute("data-sort");
    var text = raw !== null ? raw : td.textContent.trim();
    var n = Number(text.replace(/[,%]/g, "").split(" ")[0]);
    return text !== "" && isFinite(n) ? {num: true, v: n} : {num: false, v: text.toLowerCase()};
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var desc = th.classList.contains("asc");
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(desc ? "desc" : "asc");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      var r = x.num && y.num ? x.v - y.v : String(x.v).localeCompare(String(y.v));
      return desc ? -r : r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function makeSortable(table) {
    if (!table.tHead || table.getAttribute("data-sortable-ready")) return;
    table.setAttribute("data-sortable-ready", "1");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.title = "sort";
      th.addEventListener("click", function () { sortBy(table, col, th); });
    });
  }
  window.kgSortable = makeSortable;
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    document.body.setAttribute("data-ready", "1");
  });
})();
