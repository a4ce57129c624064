// Fieldnotes: tiny progressive enhancements, nothing essential.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[action$='subscribe']").forEach(function (f) {
    f.addEventListener("submit", function () { f.classList.add("sending"); });
  });
});
