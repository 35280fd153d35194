// The day board keeps itself current by polling its small JSON endpoint (no page
// reload, no meta refresh): counts, the "needs action" table and each chip's state.
// Changes in the counts are announced politely to screen readers; updates can be paused.
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root || !root.dataset.live) { return; }
  var every = Math.max(1, parseInt(root.dataset.every, 10) || 30) * 1000;
  var pause = document.getElementById("pause");
  var state = document.getElementById("live-state");
  var news = document.getElementById("live-news");
  var timer = null;
  var lastCounts = null;

  function countsText(counts) {
    return Object.keys(counts).map(function (k) { return counts[k] + " " + k; }).join(", ");
  }

  function cell(row, text, strong) {
    var td = document.createElement("td");
    if (strong) { var b = document.createElement("strong"); b.textContent = text; td.appendChild(b); }
    else { td.textContent = text; }
    row.appendChild(td);
    return td;
  }

  function link(td, href, text) {
    td.textContent = "";
    var a = document.createElement("a");
    a.href = href; a.textContent = text; td.appendChild(a);
  }

  function drawExceptions(lines) {
    var body = document.getElementById("action-rows");
    body.textContent = "";
    lines.forEach(function (line) {
      var tr = document.createElement("tr");
      tr.dataset.key = line.key; tr.dataset.kind = line.kind;
      var first = cell(tr, line.kind, true);
      if (line.critical) {
        var c = document.createElement("span");
        c.className = "critical"; c.textContent = "time-critical";
        first.appendChild(document.createTextNode(" ")); first.appendChild(c);
      }
      cell(tr, line.start);
      link(cell(tr, ""), line.visit_href, line.person);
      cell(tr, line.carers);
      cell(tr, line.waited);
      const act = cell(tr, "");
      link(act, line.href, line.action);
      if (line.alert_href) {
        const ack = document.createElement("a");
        ack.href = line.alert_href; ack.textContent = "acknowledge the alert";
        act.appendChild(document.createTextNode(" · ")); act.appendChild(ack);
      }
      body.appendChild(tr);
    });
    document.getElementById("action-table").hidden = lines.length === 0;
    document.getElementById("no-action").hidden = lines.length !== 0;
  }

  function drawChips(chips) {
    document.querySelectorAll("a.chip[data-chip]").forEach(function (chip) {
      var label = chips[chip.dataset.chip];
      if (!label || label === chip.dataset.status) { return; }
      chip.dataset.status = label;
      chip.className = "chip s-" + label.split(" (")[0].replace(/ /g, "-");
      chip.querySelector(".state").textContent = label;
    });
  }

  function apply(data) {
    document.getElementById("updated").textContent = "Updated " + data.updated;
    Object.keys(data.counts).forEach(function (name) {
      var item = document.querySelector("[data-count='" + name + "']");
      if (!item) { return; }
      item.querySelector(".number").textContent = data.counts[name];
      item.classList.toggle("has", data.counts[name] > 0);
    });
    drawExceptions(data.exceptions);
    drawChips(data.chips);
    var text = countsText(data.counts);
    if (lastCounts !== null && text !== lastCounts) {
      news.textContent = "Updated " + data.updated + ": " + text + ".";
    }
    lastCounts = text;
  }

  function poll() {
    fetch(root.dataset.live, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(apply)
      .catch(function () { state.textContent = "Could not update; trying again."; })
      .then(function () { if (timer !== null) { timer = setTimeout(poll, every); } });
  }

  function start() {
    timer = setTimeout(poll, every);
    pause.textContent = "Pause updates"; pause.setAttribute("aria-pressed", "false");
    state.textContent = "Updates every " + every / 1000 + " seconds.";
  }

  function stop() {
    clearTimeout(timer); timer = null;
    pause.textContent = "Resume updates"; pause.setAttribute("aria-pressed", "true");
    state.textContent = "Updates paused.";
  }

  pause.hidden = false;
  pause.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  lastCounts = countsText(Object.fromEntries(Array.prototype.map.call(
    document.querySelectorAll("[data-count]"),
    function (li) { return [li.dataset.count, li.querySelector(".number").textContent]; })));
  start();
}());
