/* Search loads when the reader opens it, not with every page.
 *
 * Material starts its search worker and downloads the whole search index (hundreds of KB,
 * more with every lesson) as soon as any page loads, though most visits never search. This
 * script runs before Material's bundle (docs/overrides/main.html) and holds back both:
 * - the request for search/search_index.json waits until the reader opens search: focus
 *   in the search box (click, tap, or the "/" and "s" shortcuts) or the search toggle, or
 *   a page opened from a search result (?h=...), which highlights the terms;
 * - the search worker is created on the first message Material sends it, which is the
 *   index, so it starts at the same moment.
 * Material itself is not changed: it sees an ordinary request and an ordinary worker. */
(function () {
  var INDEX = /\/search\/search_index\.json(?:$|[?#])/;
  var WORKER = /\/workers\/search\.[^/]*\.js(?:$|[?#])/;
  var opened = false;
  var held = [];

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.flSearchIndex = INDEX.test(String(url));
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.flSearchIndex && !opened) {
      held.push([this, arguments]);
      return undefined;
    }
    return send.apply(this, arguments);
  };

  function searchOpened() {
    if (opened) return;
    opened = true;
    held.splice(0).forEach(function (call) { send.apply(call[0], call[1]); });
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.closest && event.target.closest(".md-search")) searchOpened();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "__search" && event.target.checked) searchOpened();
  });
  if (/[?&]h=/.test(location.search)) searchOpened();

  var RealWorker = window.Worker;
  if (!RealWorker || typeof EventTarget !== "function") return;
  // Stands in for the search worker until Material first posts to it.
  function LazyWorker(url, options) {
    var target = new EventTarget();
    var real = null;
    target.postMessage = function () {
      if (!real) {
        real = new RealWorker(url, options);
        real.addEventListener("message", function (event) {
          target.dispatchEvent(new MessageEvent("message", { data: event.data }));
        });
        real.addEventListener("error", function (event) {
          target.dispatchEvent(new Event("error"));
        });
      }
      return real.postMessage.apply(real, arguments);
    };
    target.terminate = function () { if (real) real.terminate(); };
    return target;
  }
  function Worker(url, options) {
    return WORKER.test(String(url)) ? LazyWorker(url, options) : new RealWorker(url, options);
  }
  Worker.prototype = RealWorker.prototype;
  window.Worker = Worker;
})();
