// After a refused form the page comes back with an error summary: focus moves to it, so
// a screen reader reads what is wrong and the next Tab reaches its links to the fields.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
