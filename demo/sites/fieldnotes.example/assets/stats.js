// Analytics stub for the demo site: records nothing.
window.fnStats = window.fnStats || [];
