// Keeps the province table current from /v1/live (server-sent events), no framework.
// The server sends `snapshot` (every visible province) on connect, then
// `indicators` with the provinces whose figures changed. Rows carry data-code,
// cells data-field; values arrive as the service writes them ("19.26", 12).
(function () {
  "use strict";
  var table = document.querySelector("table[data-live]");
  if (!table || !window.EventSource) { return; }
  var stamp = document.getElementById("updated");
  var lang = document.body.getAttribute("data-lang") || "vi";

  // As the server renders them: Vietnamese 1.234,56; English 1,234.56; none is a dash.
  function format(value) {
    if (value === null || value === undefined || value === "") { return "\u2014"; }
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, lang === "vi" ? "." : ",");
    if (parts.length === 1) { return whole; }
    return whole + (lang === "vi" ? "," : ".") + (parts[1] + "00").slice(0, 2);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function progress(value, target) {
    if (value === null || value === undefined || target === null || target === undefined) {
      return null;
    }
    var goal = parseFloat(target);
    if (!(goal > 0)) { return 100; }
    return Math.max(0, Math.min(100, Math.floor(parseFloat(value) * 100 / goal)));
  }

  function show(row) {
    var tr = table.querySelector('tr[data-code="' + row.code + '"]');
    if (!tr) { return; }
    // Every figure of the row (coverage, clubs, members, borrowers_share, par30,
    // health_checks_ok, insurance_coverage, people_cared_for…), then each share.
    var values = {};
    Object.keys(row).forEach(function (k) {
      if (row[k] === null || typeof row[k] !== "object") { values[k] = row[k]; }
    });
    Object.keys(row.shares || {}).forEach(function (k) { values[k] = row.shares[k]; });
    tr.querySelectorAll("[data-field]").forEach(function (cell) {
      var field = cell.getAttribute("data-field");
      if (!(field in values)) { return; }
      var text = format(values[field]);
      if (cell.textContent !== text) {
        cell.textContent = text;
        cell.classList.remove("flash");
        void cell.offsetWidth;  // restart the highlight
        cell.classList.add("flash");
      }
    });
    // The bar: the plan's own coverage (over its territory) towards its target.
    var bar = tr.querySelector(".bar");
    var done = progress(row.coverage_measured, row.coverage_target);
    if (bar && done !== null) {
      bar.setAttribute("aria-valuenow", String(done));
      bar.firstElementChild.style.width = done + "%";
    }
  }

  function receive(event) {
    var message = JSON.parse(event.data);
    (message.provinces || []).forEach(show);
    table.setAttribute("data-revision", String(message.revision));
    if (stamp) {
      var now = new Date();
      stamp.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
      stamp.classList.remove("stale");
      stamp.removeAttribute("title");
    }
  }

  var source = new EventSource("/v1/live");
  source.addEventListener("snapshot", receive);
  source.addEventListener("indicators", receive);
  source.addEventListener("error", function () {
    // The browser reconnects by itself; meanwhile say the figures may be behind.
    if (stamp) {
      stamp.classList.add("stale");
      stamp.title = stamp.getAttribute("data-offline") || "";
    }
  });
})();
