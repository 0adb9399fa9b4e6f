// PurgeCSS settings for docs/hooks/purge_css.py, which trims Material's stylesheets in the
// built site to the selectors our pages use (about 150 KB down to about 40 KB a page).
//
// The pages' HTML is scanned, plus our own scripts. Material's bundle is NOT scanned: it
// names nearly every class of the theme, so nothing would go. Instead, the classes that
// Material's JavaScript adds at run time on this site are kept by name below; the browser
// test (tests/course/test_browser.py) fails if search, copy buttons, tabs, the palette or
// the page weight regress.
const fs = require("fs");

// Our scripts (extra_javascript), not Material's bundle. Paths are relative to the built site.
const ours = fs
  .readdirSync("assets/javascripts")
  .filter((name) => name.endsWith(".js") && !name.startsWith("bundle."))
  .map((name) => `assets/javascripts/${name}`);

module.exports = {
  content: ["**/*.html", ...ours],
  css: ["assets/stylesheets/main.*.min.css", "assets/stylesheets/palette.*.min.css"],
  // Custom properties stay: PurgeCSS judges each file alone, and the palette file uses
  // properties that the main file defines (--md-hue).
  variables: false,
  keyframes: true,
  fontFace: true,
  safelist: {
    standard: ["js", "focus-visible", "js-focus-visible"],
    greedy: [
      /^md-search/, // results, their teasers and "more" links
      /^md-code__/, // the copy button and its strip
      /^md-clipboard/,
      /^md-tooltip/,
      /^md-dialog/, // "Copied to clipboard"
      /^md-typeset__(scrollwrap|table)$/, // tables are wrapped at run time
      /^md-nav__link--/, // the current and passed entries (toc.follow)
      /^md-header/, // the header's shadow and the title switching to the page's
      /^md-top/,
      /^md-progress/,
      /^tabbed-/, // content tabs' labels, their scroll buttons
      /^md-sidebar/,
    ],
  },
};
