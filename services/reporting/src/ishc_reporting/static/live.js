// Updates the province table from /v1/live (server-sent events); no framework.
(function () {
  "use strict";
  var table = document.querySelector("[data-live]");
  if (!table || !window.EventSource) { return; }
  var stamp = document.getElementById("updated");
  var lang = document.body.getAttribute("data-lang") || "vi";
  // As the server writes them: Vietnamese 1.234,56; English 1,234.56.
  function format(value) {
    if (value === null || value === undefined || value === "") { return "\u2014"; }
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, lang === "vi" ? "." : ",");
    if (parts.length === 1) { return whole; }
    var decimals = (parts[1] + "00").slice(0, 2);
    return whole + (lang === "vi" ? "," : ".") + decimals;
  }
  function show(row) {
    var tr = table.querySelector('tr[data-code="' + row.code + '"]');
    if (!tr) { return; }
    var values = {
      coverage: row.coverage, clubs: row.clubs, members: row.members,
      coverage_target: row.coverage_target, coverage_gap: row.coverage_gap
    };
    Object.keys(row.shares || {}).forEach(function (k) { values[k] = row.shares[k]; });
    tr.querySelectorAll("[data-field]").forEach(function (cell) {
      var field = cell.getAttribute("data-field");
      if (!(field in values)) { return; }
      var text = format(values[field]);
      if (cell.textContent !== text) {
        cell.textContent = text;
        cell.classList.remove("flash"); void cell.offsetWidth; cell.classList.add("flash");
      }
    });
  }
  function receive(event) {
    var message = JSON.parse(event.data);
    (message.provinces || []).forEach(show);
    if (stamp) { stamp.textContent = new Date().toLocaleTimeString(); }
  }
  var source = new EventSource("/v1/live");
  source.addEventListener("snapshot", receive);
  source.addEventListener("indicators", receive);
})();
