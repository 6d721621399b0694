// Sorts a table[data-sortable] by the column whose header button is clicked:
// ascending, then descending. A status sorts behind first; numbers sort as numbers (as the page writes them,
// "1.234,56" in Vietnamese, "1,234.56" in English; a dash or "< 5" sorts last),
// dates as dates (dd/mm/yyyy), names with the page language's collation, so
// "Đồng Nai" sorts after "Điện Biên" and before "Gia Lai". The totals line sits
// in <tfoot> and stays last. No framework, no inline script (the page's CSP).
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "vi";
  var collator = new Intl.Collator(lang === "en" ? "en" : "vi", { sensitivity: "base", numeric: true });

  function number(text) {
    var t = text.trim();
    if (!/^-?[\d.,]+%?$/.test(t)) { return null; }
    t = t.replace("%", "");
    t = lang === "en" ? t.replace(/,/g, "") : t.replace(/\./g, "").replace(",", ".");
    var n = parseFloat(t);
    return isNaN(n) ? null : n;
  }

  function when(text) {
    var m = /(\d{2})\/(\d{2})\/(\d{4})(?:\s+(\d{2}):(\d{2}))?/.exec(text);
    if (m) { return Number(m[3] + m[2] + m[1] + (m[4] || "00") + (m[5] || "00")); }
    var iso = /(\d{4})-(\d{2})-(\d{2})/.exec(text);
    return iso ? Number(iso[1] + iso[2] + iso[3] + "0000") : null;
  }

  // A status sorts by how urgent it is: behind first, then on track, then the rest.
  var URGENCY = { behind: 0, missed: 0, on_track: 1, reached: 1, met: 1, running: 2,
    not_started: 3, not_measured: 3, no_plan: 4 };

  function key(row, index, type) {
    var cell = row.cells[index];
    if (type === "status") {
      var status = cell ? cell.getAttribute("data-status") : null;
      return status in URGENCY ? URGENCY[status] : 5;
    }
    // The figure itself, not a note under it (the coverage cell's).
    var figure = cell ? cell.querySelector("[data-field]") || cell : null;
    var text = figure ? figure.textContent : "";
    if (type === "number") { return number(text); }
    if (type === "date") { return when(text); }
    return text.trim();
  }

  function sortBy(table, th, type) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    th.parentNode.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, index, type), y = key(b, index, type);
      // Blanks last whichever the direction: they are not the smallest figures.
      if (x === null || x === "" || y === null || y === "") {
        return (x === null || x === "" ? 1 : 0) - (y === null || y === "" ? 1 : 0);
      }
      var order = type === "text" ? collator.compare(x, y) : x - y;
      if (order === 0 && type === "status") {  // then by name, as people look them up
        order = collator.compare(a.cells[0].textContent.trim(), b.cells[0].textContent.trim());
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th button[data-sort-type]").forEach(function (button) {
      button.addEventListener("click", function () {
        sortBy(table, button.parentNode, button.getAttribute("data-sort-type"));
      });
    });
  });
})();
