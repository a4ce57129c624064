// Harbour Gazette demo script: copy-link button and remind-me-later links.
document.addEventListener('click', function (ev) {
  var t = ev.target;
  if (t && t.hasAttribute && t.hasAttribute('data-copy') && navigator.clipboard) {
    navigator.clipboard.writeText(location.href);
  }
  if (t && t.hasAttribute && t.hasAttribute('data-remind')) {
    ev.preventDefault();
    localStorage.setItem('hg-remind', String(Date.now()));
  }
});
