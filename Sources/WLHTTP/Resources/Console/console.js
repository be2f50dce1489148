// Progressive enhancement only: every page works without this file.
(function () {
  // Contacts: a chosen CSV file is read into the import textarea.
  var input = document.getElementById("csv-file");
  var area = document.getElementById("csv");
  if (input && area && window.FileReader) {
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
  }

  // Contacts: the import shows its upload progress (slow mobile connections), then the server's answer.
  var form = document.getElementById("import-form");
  var bar = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  if (form && bar && state && window.XMLHttpRequest && window.URLSearchParams && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      bar.hidden = false;
      state.hidden = false;
      state.textContent = "Uploading…";
      request.upload.onprogress = function (progress) {
        if (progress.lengthComputable) {
          bar.value = Math.round(100 * progress.loaded / progress.total);
          state.textContent = "Uploading: " + bar.value + " %";
        }
      };
      request.upload.onload = function () { bar.value = 100; state.textContent = "Uploaded; importing…"; };
      request.onload = function () {
        document.open();
        document.write(request.responseText);
        document.close();
      };
      request.onerror = function () { state.textContent = "The upload failed: check the connection and try again."; };
      request.send(new URLSearchParams(new FormData(form)).toString());
    });
  }
})();
