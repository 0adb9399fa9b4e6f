/* Code, outputs, tables and search results that scroll can be scrolled from the keyboard.
 *
 * A region that scrolls needs a tab stop (tabindex="0") so a keyboard user can reach it and
 * scroll it with the arrow keys; one that does not scroll must not have one (a stop that
 * does nothing). Material gives scrolling code blocks a stop only on devices with a mouse
 * (hover), and takes it away again on phones; notebook outputs get none from it. So here every
 * code block and every output gets a stop exactly when its content is wider than its box,
 * re-checked when the page is swapped in, resized, or when anything else changes the stop. */
(function () {
  var SELECTOR = [
    ".md-typeset pre > code",
    ".md-typeset .jp-OutputArea-output pre",
    ".md-typeset__scrollwrap", // wide tables
    ".md-search__scrollwrap", // search results, when there are more than fit
  ].join(", ");

  function update(el) {
    var scrolls = el.clientHeight > 0 && (el.scrollWidth > el.clientWidth + 1
      || el.scrollHeight > el.clientHeight + 1);
    if (scrolls && el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
    if (!scrolls && el.hasAttribute("tabindex")) el.removeAttribute("tabindex");
  }
  function updateAll() {
    document.querySelectorAll(SELECTOR).forEach(update);
  }

  var timer = null;
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(updateAll, 100);
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      if (change.target.matches && change.target.matches(SELECTOR)) update(change.target);
    });
  }).observe(document.body, { attributes: true, attributeFilter: ["tabindex"], subtree: true });
  window.addEventListener("resize", soon);
  document.addEventListener("input", soon); // a search query changes the results' height
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(soon);
  else document.addEventListener("DOMContentLoaded", soon);
  soon();
})();
