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
// Show only the sections that apply to the chosen method (without JavaScript all stay visible).
function showMethodSections() {
  var select = document.querySelector("[data-method-select]");
  if (!select) { return; }
  document.querySelectorAll("fieldset[data-method]").forEach(function (fs) {
    fs.hidden = fs.getAttribute("data-method") !== select.value;
  });
}
document.addEventListener("DOMContentLoaded", showMethodSections);
document.addEventListener("htmx:load", showMethodSections);
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-method-select]")) { showMethodSections(); }
});
