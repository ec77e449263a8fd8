// Keyboard shortcuts of the console (no inline script: the page policy allows only this origin's files).
// j/k move through the queue, Enter opens the current row, r jumps to the reply box, a assigns the ticket to
// me, ? toggles the help.
(function () {
  "use strict";
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); }
  function mark(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }
  function help() {
    var box = document.getElementById("help");
    if (!box) {
      box = document.createElement("div");
      box.id = "help";
      box.setAttribute("role", "dialog");
      box.textContent = "j / k: next / previous ticket · Enter: open · r: reply · a: assign to me · ?: this help";
      document.body.appendChild(box);
      return;
    }
    box.hidden = !box.hidden;
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === "j") { mark(current + 1); }
    else if (event.key === "k") { mark(current - 1); }
    else if (event.key === "Enter" && current >= 0 && rows()[current]) { window.location = rows()[current].dataset.href; }
    else if (event.key === "r" && document.getElementById("text")) { event.preventDefault(); document.getElementById("text").focus(); }
    else if (event.key === "a" && document.getElementById("assign")) { document.getElementById("assign").click(); }
    else if (event.key === "?") { help(); }
  });
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr.row");
    if (row && event.target.tagName !== "A") { window.location = row.dataset.href; }
  });
})();
