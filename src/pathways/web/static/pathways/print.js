// A "Print this page" button (no inline script: the Content-Security-Policy forbids it).
for (const button of document.querySelectorAll("[data-pathways-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
