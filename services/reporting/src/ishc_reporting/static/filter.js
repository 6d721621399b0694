// Filters a table's rows as one types into input[data-filter] (its value: the
// table's selector), matching the first cell without accents, so "nhon phu"
// finds "Xã Nhơn Phú" and "dong" finds "Đông". Without JavaScript the box does
// nothing and the server's own filter (?with_club=1) still works.
(function () {
  "use strict";
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  }
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.querySelector(input.getAttribute("data-filter"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var wanted = plain(input.value);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var name = plain(row.cells[0] ? row.cells[0].textContent : "");
        row.hidden = wanted !== "" && name.indexOf(wanted) === -1;
      });
    });
  });
})();
