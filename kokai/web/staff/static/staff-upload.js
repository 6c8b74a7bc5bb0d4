// Staff upload pages: sends the chosen file with a progress bar, and follows
// the validation of an upload on its report page. Without this script the
// form posts as a plain multipart form and the report page has a reload link.
(function () {
  "use strict";

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function showError(form, message) {
    var box = document.getElementById("upload-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "upload-error";
      box.className = "notice notice-error";
      box.setAttribute("role", "alert");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = message;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  function sendFile(form) {
    var input = form.querySelector('input[type="file"]');
    var file = input && input.files && input.files[0];
    if (!file) { return false; }
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (limit && file.size > limit) {  // say it now rather than after sending 200 MB
      showError(form, form.getAttribute("data-too-large"));
      return true;
    }
    var query = [];
    form.querySelectorAll("select, input[type=hidden]").forEach(function (field) {
      if (field.name && field.name !== "csrf_token") {
        query.push(encodeURIComponent(field.name) + "=" + encodeURIComponent(field.value));
      }
    });
    var panel = form.querySelector("[data-upload-progress]");
    var bar = panel && panel.querySelector("progress");
    var status = panel && panel.querySelector("[role=status]");
    var button = form.querySelector("button[type=submit]");
    if (panel) { panel.hidden = false; }
    if (button) { button.disabled = true; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action + (query.length ? "?" + query.join("&") : ""));
    xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || !bar) { return; }
      var percent = Math.floor((event.loaded / event.total) * 100);
      bar.value = percent;
      if (status) { status.textContent = "送信中… " + percent + "%"; }
    });
    xhr.addEventListener("load", function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status >= 200 && xhr.status < 300 && answer.report_url) {
        if (status) { status.textContent = "送信しました。検査の結果を開きます。"; }
        window.location.assign(answer.report_url);
        return;
      }
      if (button) { button.disabled = false; }
      if (panel) { panel.hidden = true; }
      showError(form, answer.error || "アップロードできませんでした（" + xhr.status + "）。もう一度お試しください。");
    });
    xhr.addEventListener("error", function () {
      if (button) { button.disabled = false; }
      showError(form, "通信が切れました。もう一度アップロードしてください。");
    });
    xhr.send(file);
    return true;
  }

  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !form.checkValidity()) { return; }
      if (sendFile(form)) { event.preventDefault(); }
    });
  });

  function follow(panel) {
    var url = panel.getAttribute("data-status-url");
    var bar = panel.querySelector("progress");
    var status = panel.querySelector("[role=status]");
    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        var answer;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (!answer) { window.setTimeout(poll, 3000); return; }
        if (bar) { bar.value = Math.round(answer.progress * 100); }
        if (status) { status.textContent = "検証中です。（" + answer.stage + "）"; }
        if (answer.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      });
      xhr.addEventListener("error", function () { window.setTimeout(poll, 3000); });
      xhr.send();
    }
    window.setTimeout(poll, 500);
  }

  document.querySelectorAll("[data-status-url]").forEach(follow);
})();
