/* Run buttons on code cells and the "Try the tasks here" panel (docs/hooks/browser_run.py
 * makes both, on the lessons that run in the browser).
 *
 * Nothing is loaded until a reader presses Run or Check: then one Web Worker starts
 * (python-worker.js) and loads Python from this site; it stays for the rest of the visit,
 * also across instant navigation, so later cells and checks start at once. The worker keeps
 * one namespace per lesson, so cells share state like a notebook's. Every status goes into
 * a live region next to the button that asked. Edits in the panel are kept in localStorage.
 * The panel's files load, and its textareas become code editors, when the panel comes into
 * view (whenSeen).
 * Every page also registers the service worker (sw.js) that keeps the site for offline use.
 */
(function () {
  // The site's root, from where this file is (assets/javascripts/): for the service worker.
  var siteRoot = new URL("../../", document.currentScript.src);
  var worker = null;
  var waiting = {};
  var nextId = 1;

  function pythonUrl() {
    var panel = document.querySelector("[data-fl-python]");
    return new URL(panel.getAttribute("data-fl-python"), document.baseURI);
  }

  // Python cannot be interrupted from outside: a request that runs past the lesson's time
  // limit (course.toml `timeout`, as on the command line) ends the worker, and with it the
  // cells' state; the next request starts a fresh one.
  function stopWorker(reason) {
    if (worker) worker.terminate();
    worker = null;
    Object.keys(waiting).forEach(function (id) { waiting[id].reject(new Error(reason)); });
    waiting = {};
  }

  function timeLimit() {
    var panel = document.querySelector("[data-fl-timeout]");
    return panel ? parseFloat(panel.getAttribute("data-fl-timeout")) : 30;
  }

  function ask(message, onProgress) {
    if (!worker) {
      var url = new URL("../javascripts/python-worker.js", pythonUrl());
      worker = new Worker(url, { type: "module" });
      worker.onmessage = function (event) {
        var reply = event.data;
        var entry = waiting[reply.id];
        if (!entry) return;
        if (reply.kind === "progress") { entry.progress(reply.text); return; }
        delete waiting[reply.id];
        if (reply.kind === "error") entry.reject(new Error(reply.text)); else entry.resolve(reply.value);
      };
      worker.onerror = function (event) {
        stopWorker(event.message || "the Python worker stopped");
      };
    }
    return new Promise(function (resolve, reject) {
      var id = nextId++;
      var timer = null;
      var limit = timeLimit();
      var progress = function (text) {
        onProgress(text);
        // The clock starts once Python is loaded: loading is not the code's time.
        if (timer === null && /^Running/.test(text)) {
          timer = setTimeout(function () {
            stopWorker(
              "it did not finish within " + limit + " s, so Python was stopped (run the " +
              "earlier cells again). Look for a loop that never ends or a call that waits " +
              "(input(), a server)."
            );
          }, limit * 1000);
        }
      };
      var done = function (settle) {
        return function (value) { clearTimeout(timer); settle(value); };
      };
      waiting[id] = { resolve: done(resolve), reject: done(reject), progress: progress };
      message.id = id;
      worker.postMessage(message);
    });
  }

  function lessonSlug() {
    return document.querySelector("[data-fl-try]").getAttribute("data-fl-try");
  }

  function say(region, text) {
    region.textContent = text;
  }

  // -- Run: one code cell -------------------------------------------------------------------

  function outputArea(cell) {
    var area = cell.querySelector(".fl-run__output");
    if (area) return area;
    area = document.createElement("pre");
    area.className = "fl-run__output";
    var old = cell.querySelector(".jp-Cell-outputWrapper, .jp-OutputArea");
    if (old) old.hidden = true;  // the committed output gives way to this run's
    cell.appendChild(area);
    return area;
  }

  function run(button) {
    var cell = button.closest(".fl-cell");
    var status = cell.querySelector(".fl-run__status");
    var code = cell.querySelector(".highlight code, pre code").textContent;
    button.disabled = true;
    say(status, "Running…");
    ask({ kind: "run", lesson: lessonSlug(), code: code }, function (text) { say(status, text); })
      .then(function (result) {
        var area = outputArea(cell);
        var text = result.output + (result.error || "");
        if (result.limit) {
          text += "\nThis cell cannot run in the browser: " + result.limit + ". Run the " +
            "notebook on your computer instead: uv run --extra lab jupyter lab";
        }
        area.textContent = text || "(no output)";
        area.classList.toggle("fl-run__output--error", !!result.error);
        say(status, result.error ? "Ran, with an error: see the output." : "Ran.");
      })
      .catch(function (error) { say(status, "Could not run: " + error.message); })
      .then(function () { button.disabled = false; });
  }

  // -- Check: the lesson's checks on the files in the panel ---------------------------------

  function storageKey(editor) {
    return "flasklings:" + lessonSlug() + ":" + editor.getAttribute("data-fl-file");
  }

  // The starter files come from assets/python/starters/ when the panel is first needed (in
  // view, or a button pressed), not with the page; then each editor shows the reader's kept
  // edit, else the starter, and becomes writable.
  var starters = {};
  function loadFiles(panel) {
    var url = new URL(panel.getAttribute("data-fl-starters"), document.baseURI).href;
    if (!starters[url]) {
      starters[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error("the starter files: HTTP " + response.status);
        return response.json();
      });
      starters[url].catch(function () { delete starters[url]; });  // offline: try again later
    }
    return starters[url].then(function (files) {
      panel.querySelectorAll("[data-fl-file]").forEach(function (editor) {
        if (editor.hasAttribute("data-fl-starter")) return;
        var starter = files[editor.getAttribute("data-fl-file")];
        var kept = null;
        try { kept = localStorage.getItem(storageKey(editor)); } catch (e) { /* storage off */ }
        editor.setAttribute("data-fl-starter", starter);
        editor.value = kept !== null ? kept : starter;
        editor.readOnly = false;
        if (editor.flasklingsSet) editor.flasklingsSet(editor.value);
      });
      panel.setAttribute("data-fl-files", "ready");
    });
  }

  function panelFiles(panel) {
    var files = {};
    panel.querySelectorAll("[data-fl-file]").forEach(function (editor) {
      files[editor.getAttribute("data-fl-file")] = editor.value;
    });
    return files;
  }

  function check(button) {
    var panel = button.closest("[data-fl-try]");
    var status = panel.querySelector(".fl-try__status");
    var reportArea = panel.querySelector(".fl-try__report");
    button.disabled = true;
    say(status, "Checking…");
    loadFiles(panel)
      .then(function () {
        return ask({ kind: "check", lesson: lessonSlug(), files: panelFiles(panel) },
          function (text) { say(status, text); });
      })
      .then(function (result) {
        reportArea.textContent = result.report;
        reportArea.hidden = false;
        // Checks marked local_only are listed with the status "local": not run here.
        var all = result.results.tests;
        var local = all.filter(function (t) { return t.status === "local"; }).length;
        var tests = all.filter(function (t) { return t.status !== "local"; });
        var passed = tests.filter(function (t) { return t.status === "pass"; }).length;
        var here = local ? " that run here" : "";
        say(status, (result.status === "pass"
          ? "All " + tests.length + " checks" + here + " pass."
          : result.status === "fail"
            ? passed + " of " + tests.length + " checks" + here + " pass: see the report below."
            : "Could not grade: see the report below.")
          + (local && result.status !== "error"
            ? " " + local + (local === 1 ? " more runs" : " more run") +
              " only on your computer." : ""));
      })
      .catch(function (error) { say(status, "Could not check: " + error.message); })
      .then(function () { button.disabled = false; });
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  // The files as the browser holds them, as a zip of the lesson folder (NN_slug/...), to
  // unzip in lessons/ and go on with `flasklings check`. Without the editor module (it makes
  // the zip), each file on its own.
  function download(panel) {
    var status = panel.querySelector(".fl-try__status");
    var slug = lessonSlug();
    loadFiles(panel).then(function () {
      var files = panelFiles(panel);
      return editorModule().then(function (editor) {
        save(editor.lessonZip(slug, files), slug + ".zip");
        say(status, "Downloaded " + slug + ".zip: unzip it in the lessons folder of your " +
          "course copy (it holds " + slug + "/ with the files above), then run " +
          "flasklings check " + slug.split("_")[0] + ".");
      }).catch(function () {
        Object.keys(files).forEach(function (name) {
          save(new Blob([files[name]], { type: "text/x-python" }), name.split("/").pop());
        });
        say(status, "Downloaded: put the files into lessons/" + slug + "/ on your computer.");
      });
    }).catch(function (error) { say(status, "Could not load " + error.message); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-fl-run")) run(button);
    else if (button.hasAttribute("data-fl-check")) check(button);
    else if (button.hasAttribute("data-fl-download")) download(button.closest("[data-fl-try]"));
    else if (button.hasAttribute("data-fl-restore")) {
      var panel = button.closest("[data-fl-try]");
      loadFiles(panel).then(function () {
        panel.querySelectorAll("[data-fl-file]").forEach(function (editor) {
          editor.value = editor.getAttribute("data-fl-starter");
          if (editor.flasklingsSet) editor.flasklingsSet(editor.value);
          try { localStorage.removeItem(storageKey(editor)); } catch (e) { /* storage off */ }
        });
        say(panel.querySelector(".fl-try__status"), "The starter is back.");
      }).catch(function (error) {
        say(panel.querySelector(".fl-try__status"), "Could not load " + error.message);
      });
    }
  });

  document.addEventListener("input", function (event) {
    var editor = event.target;
    if (!editor.matches || !editor.matches("[data-fl-file]")) return;
    try { localStorage.setItem(storageKey(editor), editor.value); } catch (e) { /* storage off */ }
  });

  // The code editor (CodeMirror, assets/python/editor.js) replaces the textareas when the
  // panel comes into view: a reader who never scrolls there never loads it.
  var editorLoading = null;
  function editorModule() {
    if (!editorLoading) {
      editorLoading = import(new URL("editor.js", pythonUrl()).href);
      editorLoading.catch(function () { editorLoading = null; });  // offline: try again later
    }
    return editorLoading;
  }

  function whenSeen(panel) {
    var status = panel.querySelector(".fl-try__status");
    loadFiles(panel).then(function () {
      return editorModule().then(function (editor) {
        panel.querySelectorAll("[data-fl-file]").forEach(function (textarea) {
          if (!textarea.flasklingsSet) editor.mount(textarea);
        });
        panel.setAttribute("data-fl-editor", "ready");
      }).catch(function () { /* the textareas stay, and work */ });
    }).catch(function (error) { say(status, "Could not load " + error.message); });
  }

  // The files (with the kept edits) and the editor load when the panel comes into view, also
  // after instant navigation; at once where there is no IntersectionObserver.
  function onPage() {
    var panel = document.querySelector("[data-fl-try]");
    if (!panel) return;
    if (!window.IntersectionObserver) { whenSeen(panel); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      observer.disconnect();
      whenSeen(panel);
    }, { rootMargin: "200px" });
    observer.observe(panel);
  }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(onPage);
  else document.addEventListener("DOMContentLoaded", onPage);

  // Offline after a first visit (sw.js): registered once the page has loaded, so that it
  // never competes with the page itself. Where it cannot be (a private window, http:// on
  // another host), the site works as before.
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      var scope = { scope: siteRoot.pathname };
      navigator.serviceWorker.register(new URL("sw.js", siteRoot), scope)
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (registration) {
          // This page came before the worker: it says what to keep of it.
          var loaded = performance.getEntriesByType("resource").map(function (e) { return e.name; });
          registration.active.postMessage({ keep: [location.href.split("#")[0]].concat(loaded) });
        })
        .catch(function () { /* no offline copy: nothing else changes */ });
    });
  }
})();
