// Progressive enhancement only: every page works without this file.
// Contacts: a chosen CSV file is read into the import textarea.
(function () {
  var input = document.getElementById("csv-file");
  var area = document.getElementById("csv");
  if (!input || !area || !window.FileReader) { return; }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { return; }
    if (file.size > 1048576) {
      area.value = "";
      window.alert("The file is over 1 MiB: split it into smaller files.");
      return;
    }
    var reader = new FileReader();
    reader.onload = function () { area.value = String(reader.result); };
    reader.readAsText(file);
  });
})();
