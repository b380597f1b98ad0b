// Send the CSRF token with every htmx request (read from <meta>, so hx-boost keeps it current).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});
// Move focus to an error summary when one arrives, so keyboard and screen-reader users hear it.
function focusErrorSummary(root) {
  var summary = (root || document).querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
}
document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
document.addEventListener("htmx:afterSwap", function (event) { focusErrorSummary(event.detail.target); });
// Show only the sections that apply to the chosen method (without JavaScript all stay visible, with headings).
function showMethodSections() {
  var select = document.querySelector("[data-method-select]");
  if (!select) { return; }
  document.querySelectorAll("[data-method]").forEach(function (section) {
    section.hidden = section.getAttribute("data-method").split(" ").indexOf(select.value) === -1;
  });
}
document.addEventListener("DOMContentLoaded", showMethodSections);
document.addEventListener("htmx:load", showMethodSections);
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-method-select]")) { showMethodSections(); }
});
// Exports can take a while: say so until the download starts (the server sets a cookie then).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-export]");
  if (!link) { return; }
  var token = Math.random().toString(36).slice(2, 12);
  var url = new URL(link.href, window.location.href);
  url.searchParams.set("dl", token);
  link.href = url.toString();
  var status = link.parentElement.querySelector(".export-status");
  if (!status) { return; }
  status.hidden = false;
  status.textContent = "正在生成“" + link.textContent + "”，请稍候；数据量大时可能需要几十秒。";
  var started = Date.now();
  var timer = setInterval(function () {
    if (document.cookie.indexOf("export_ready=" + token) !== -1) {
      clearInterval(timer);
      status.textContent = "“" + link.textContent + "”已开始下载。";
    } else if (Date.now() - started > 600000) {
      clearInterval(timer);
      status.textContent = "导出时间过长，请缩小查询条件后重试。";
    }
  }, 500);
});
// Attachments: refuse a file over the limit before sending it, and show the upload's progress.
function uploadForm(element) { return element && element.closest && element.closest("form[data-upload-form]"); }
document.addEventListener("htmx:confirm", function (event) {
  var form = uploadForm(event.target);
  if (!form) { return; }
  var input = form.querySelector("input[type=file]");
  var message = form.querySelector(".upload-message");
  var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
  if (input.files.length && limit && input.files[0].size > limit) {
    event.preventDefault();
    message.textContent = "文件超过大小限制（最大 " + Math.round(limit / 1048576) + " MB）：请压缩或分成几个文件后再上传。";
  }
});
document.addEventListener("htmx:beforeRequest", function (event) {
  var form = uploadForm(event.target);
  if (!form) { return; }
  var bar = form.querySelector("progress");
  bar.value = 0;
  bar.hidden = false;
  form.querySelector(".upload-message").textContent = "正在上传…";
});
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = uploadForm(event.target);
  if (!form || !event.detail.lengthComputable) { return; }
  var percent = Math.round(event.detail.loaded / event.detail.total * 100);
  form.querySelector("progress").value = percent;
  form.querySelector(".upload-message").textContent = "正在上传… " + percent + "%";
});
// Every refused action speaks: a 4xx/5xx answer to an htmx request always shows a message.
// Boosted forms get the server's full page (the one shown without JavaScript, with its error
// summary); fragment requests get a message in the page's alert region (#action-error).
var REFUSAL_FALLBACK = {400: "请求未被接受，请检查填写的内容后重试。", 401: "请先登录。", 403: "您无权执行此操作。",
  404: "记录不存在或您无权查看。", 409: "记录已被他人修改，请刷新页面后重试。", 413: "提交的内容超过大小限制。",
  422: "内容有误，请按提示修改。", 429: "请求过于频繁，请稍后再试。"};
function refusalText(xhr) {
  var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  var node = doc.querySelector("[data-refusal], .error-summary, .error-page-message, .error-message");
  var text = node ? node.textContent.replace(/\s+/g, " ").trim() : "";
  if (text) { return text; }
  return REFUSAL_FALLBACK[xhr.status] || "系统出现错误（" + xhr.status + "），您的操作未生效。请稍后重试，或联系管理员。";
}
function showRefusal(text) {
  var region = document.getElementById("action-error");
  if (!region) { window.alert(text); return; }
  var p = document.createElement("p");
  p.className = "refusal";
  p.textContent = text;
  region.replaceChildren(p);
  region.focus();
}
document.addEventListener("htmx:beforeRequest", function (event) {
  var region = document.getElementById("action-error");
  var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
  if (region && trigger && (trigger.type === "submit" || trigger.type === "click")) {
    region.replaceChildren();  // a new action: the old refusal is moot (typing does not clear it)
  }
});
document.addEventListener("htmx:beforeSwap", function (event) {
  var detail = event.detail;
  var status = detail.xhr.status;
  if (status < 400) { return; }
  if (detail.target && detail.target.id === "action-error") {  // the server's own refusal fragment
    detail.shouldSwap = true;
    detail.isError = false;
    return;
  }
  if (detail.shouldSwap) { return; }  // a page or fragment made to carry its message (403, 409, 422…)
  if (detail.boosted && status < 500) {
    detail.shouldSwap = true;
    detail.isError = false;
    return;
  }
  showRefusal(refusalText(detail.xhr));
});
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target && event.detail.target.id === "action-error") { event.detail.target.focus(); }
});
document.addEventListener("htmx:sendError", function () {
  showRefusal("无法连接服务器：请检查网络后重试，您的操作未生效。");
});
// The live findings list only inputs the officer has been in: the form's touched field names them.
function markTouched(event) {
  var input = event.target;
  if (!input.name || !input.form || input.name === "touched" || input.name.indexOf("reason:") === 0) { return; }
  var touched = input.form.querySelector("[data-touched]");
  if (!touched) { return; }
  var names = touched.value ? touched.value.split(",") : [];
  if (names.indexOf(input.name) === -1) { names.push(input.name); touched.value = names.join(","); }
}
["input", "change", "focusout"].forEach(function (type) { document.addEventListener(type, markTouched, true); });
