// The calendar beside the as-of field: the browser's own date picker, shown as
// its button only (its text would follow the browser's language, not the
// page's). A picked day is written into the field as the page writes dates
// (dd/mm/yyyy in Vietnamese, yyyy-mm-dd in English) and the form is sent.
(function () {
  "use strict";
  var picker = document.getElementById("as-of-picker");
  var field = document.getElementById("as-of");
  if (!picker || !field || !field.form) return;
  picker.hidden = false;
  picker.addEventListener("change", function () {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(picker.value);
    if (!parts) return;
    field.value = picker.dataset.lang === "vi" ? parts[3] + "/" + parts[2] + "/" + parts[1] : picker.value;
    field.form.submit();
  });
})();
