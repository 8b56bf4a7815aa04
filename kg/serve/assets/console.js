// kg serve SPARQL console: examples into the editor; run by POST /sparql and show the rows as a
// table (text only: values go in with textContent, never as markup). Without JavaScript the
// form posts to /sparql and the browser shows or downloads the answer.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function cell(tag, text) { var e = document.createElement(tag); e.textContent = text; return e; }
  function show(data) {
    var table = $("sparql-results");
    table.textContent = "";
    table.removeAttribute("data-sortable-ready");
    if (data.boolean !== undefined) { $("sparql-status").textContent = "ASK: " + data.boolean; return; }
    var vars = data.head.vars, rows = data.results.bindings;
    var head = table.createTHead().insertRow();
    vars.forEach(function (v) { head.appendChild(cell("th", v)); });
    var body = table.createTBody();
    rows.forEach(function (b) {
      var tr = body.insertRow();
      vars.forEach(function (v) {
        var td = tr.insertCell();
        var t = b[v];
        if (!t) return;
        if (t.type === "uri" && t.value.indexOf("https://w3id.org/accelerator-kg/id/") === 0 && t.value.indexOf("/link/") < 0) {
          var a = document.createElement("a");
          a.href = "/entity/" + t.value.slice("https://w3id.org/accelerator-kg/id/".length);
          a.textContent = t.value;
          td.appendChild(a);
        } else {
          td.textContent = t.value;
        }
      });
    });
    $("sparql-status").textContent = rows.length + " row" + (rows.length === 1 ? "" : "s");
    if (window.kgSortable) window.kgSortable(table);
  }
  function run(ev) {
    var fmt = $("format").value;
    if (fmt !== "json") return;  // other formats: the browser posts the form and shows the text
    ev.preventDefault();
    $("sparql-status").textContent = "running…";
    $("sparql-raw").hidden = true;
    $("sparql-results").textContent = "";
    var body = new URLSearchParams();
    body.set("query", $("query").value);
    fetch("/sparql", {method: "POST", body: body,
                      headers: {"Accept": "application/sparql-results+json, application/json;q=0.9, text/turtle;q=0.5"}})
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        if (!r.ok) return r.text().then(function (t) {
          var msg = t;
          try { msg = JSON.parse(t).error; } catch (e) { /* plain text */ }
          throw new Error("error " + r.status + ": " + msg);
        });
        if (type.indexOf("json") >= 0) return r.json().then(show);
        return r.text().then(function (t) {
          $("sparql-status").textContent = type;
          $("sparql-raw").textContent = t;
          $("sparql-raw").hidden = false;
        });
      })
      .catch(function (e) { $("sparql-status").textContent = String(e.message || e); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var examples = document.querySelectorAll("template.example");
    $("example").addEventListener("change", function () {
      var k = this.value;
      if (k !== "") $("query").value = examples[+k].content.textContent;
    });
    $("console-form").addEventListener("submit", run);
    $("query").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("run-sparql").click(); }
    });
  });
})();
