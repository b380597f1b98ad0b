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
