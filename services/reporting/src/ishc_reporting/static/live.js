// Keeps the province tables current from /v1/live (server-sent events), no framework.
// The server sends `snapshot` (every visible province) on connect, then
// `indicators` with the provinces whose figures changed. Each message says the
// day and map its figures are of (`as_of`, `boundary`) and the time they were
// read (`at`, Vietnam's time), with the visible provinces' `total`. A table
// takes them only when they are of its own day and map (data-as-of,
// data-boundary): a page of a past day, of the old map, or left open past
// midnight keeps its figures and says they no longer update.
// Rows carry data-code, cells data-field; values arrive as the service writes
// them ("19.26", 12).
(function () {
  "use strict";
  var tables = Array.prototype.slice.call(document.querySelectorAll("table[data-live]"));
  if (!tables.length || !window.EventSource) { return; }
  var stamp = document.getElementById("updated");
  var lang = document.body.getAttribute("data-lang") || "vi";
  var main = document.querySelector("table[data-live][data-status-words]");
  var words = main ? JSON.parse(main.getAttribute("data-status-words") || "{}") : {};
  var STATUS_CLASS = { on_track: "yes", reached: "yes", met: "yes", behind: "no", missed: "no" };

  // As the server renders them: Vietnamese 1.234,56; English 1,234.56; none is a
  // dash. Two decimals at most, cut, never rounded (the convention the page states).
  function format(value) {
    if (value === null || value === undefined || value === "") { return "\u2014"; }
    if (!/^-?\d+(\.\d+)?$/.test(String(value))) { return String(value); }  // "< 5"
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, lang === "vi" ? "." : ",");
    if (parts.length === 1) { return whole; }
    return whole + (lang === "vi" ? "," : ".") + (parts[1] + "00").slice(0, 2);
  }

  function day(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ""));
    if (!m) { return "\u2014"; }
    return lang === "vi" ? m[3] + "/" + m[2] + "/" + m[1] : m[0];
  }

  function progress(value, target) {
    if (value === null || value === undefined || target === null || target === undefined) {
      return null;
    }
    var goal = parseFloat(target);
    if (!(goal > 0)) { return 100; }
    return Math.max(0, Math.min(100, Math.floor(parseFloat(value) * 100 / goal)));
  }

  function put(cell, text) {
    if (cell.textContent === text) { return; }
    cell.textContent = text;
    cell.classList.remove("flash");
    void cell.offsetWidth;  // restart the highlight
    cell.classList.add("flash");
  }

  function fill(tr, row) {
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
      if (field === "status") {
        var status = String(values.status);
        put(cell, words[status] || status);
        cell.setAttribute("data-status", status);
        cell.className = "status " + (STATUS_CLASS[status] || "none");
        return;
      }
      put(cell, field.slice(-3) === "_by" ? day(values[field]) : format(values[field]));
    });
    // The bar: the plan's own coverage (over its territory) towards its target.
    var bar = tr.querySelector(".bar");
    var done = progress(row.coverage_measured, row.coverage_target);
    if (bar && done !== null && "coverage_target" in row) {
      bar.setAttribute("aria-valuenow", String(done));
      bar.firstElementChild.style.width = done + "%";
    }
  }

  function mine(table, message) {
    return message.as_of === table.getAttribute("data-as-of") &&
      (message.boundary || "current") === table.getAttribute("data-boundary");
  }

  var closed = false;
  function receive(event) {
    var message = JSON.parse(event.data);
    if (!message.as_of) { return; }  // the feed has not read its first figures yet
    var taken = false;
    tables.forEach(function (table) {
      if (!mine(table, message)) { return; }
      taken = true;
      (message.provinces || []).forEach(function (row) {
        var tr = table.querySelector('tbody tr[data-code="' + row.code + '"]');
        if (tr) { fill(tr, row); }
      });
      var total = table.querySelector("tfoot tr");
      if (total && message.total) { fill(total, message.total); }
      // The headline figures are the same totals (coverage, clubs, members).
      document.querySelectorAll("[data-total]").forEach(function (figure) {
        var key = figure.getAttribute("data-total");
        if (message.total && key in message.total) { put(figure, format(message.total[key])); }
      });
      table.setAttribute("data-revision", String(message.revision));
    });
    if (!taken) {
      // Figures of another day (past midnight) or map: this page keeps its own.
      if (stamp) { stamp.classList.add("stale"); stamp.title = stamp.getAttribute("data-offline") || ""; }
      if (!closed) { closed = true; source.close(); }
      return;
    }
    if (stamp && message.at) {
      stamp.textContent = message.at;
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
