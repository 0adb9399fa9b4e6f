/* The code editor of the "Try the tasks here" panel: CodeMirror 6 with Python highlighting.
 * flasklings.browser_build bundles this file with esbuild into assets/python/editor.js, which
 * browser-run.js imports only when the panel scrolls into view.
 *
 * The panel's <textarea> stays the one place the text lives (what Check sends and what is
 * kept in localStorage): the editor writes every change back to it, with an input event.
 * Tab moves focus on, as in any form; indenting is the editor's Enter and its bracket rules. */
import { EditorView, minimalSetup } from "codemirror";
import { python } from "@codemirror/lang-python";
import { lineNumbers } from "@codemirror/view";
import { HighlightStyle, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { strToU8, zipSync } from "fflate";

// The site's own code colours (Material's, adjusted in site.css for contrast in both palettes).
const colour = (name) => `var(--md-code-hl-${name}-color)`;
const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword], color: colour("keyword") },
  { tag: [tags.string, tags.special(tags.string)], color: colour("string") },
  { tag: [tags.number, tags.bool, tags.null], color: colour("number") },
  { tag: tags.comment, color: colour("comment") },
  { tag: [tags.function(tags.definition(tags.variableName)), tags.className], color: colour("function") },
  { tag: [tags.operator, tags.punctuation], color: colour("punctuation") },
  { tag: tags.self, color: colour("constant") },
]);
const theme = EditorView.theme({
  "&": { color: "var(--md-code-fg-color)", backgroundColor: "var(--md-code-bg-color)" },
  ".cm-content": { caretColor: "var(--md-code-fg-color)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--md-code-fg-color)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection": {
    backgroundColor: "var(--md-accent-fg-color--transparent)",
  },
  ".cm-gutters": {
    backgroundColor: "var(--md-code-bg-color)",
    color: "var(--md-code-fg-color)",
    borderRight: "0.05rem solid var(--md-default-fg-color--lightest)",
  },
});

export function mount(textarea) {
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const view = new EditorView({
    doc: textarea.value,
    extensions: [
      minimalSetup,
      lineNumbers(),
      EditorView.lineWrapping,  // no region that scrolls sideways (it would need a tab stop)
      indentUnit.of("    "),
      python(),
      syntaxHighlighting(highlight),
      theme,
      EditorView.contentAttributes.of({ "aria-labelledby": label.id }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        textarea.value = update.state.doc.toString();
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }),
    ],
  });
  textarea.after(view.dom);
  textarea.hidden = true;
  // Restoring the starter sets the textarea: the editor shows what it holds.
  textarea.flasklingsSet = (text) => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  };
  return view;
}

// The panel's files ({path in the lesson folder: text}) as one zip of the lesson folder:
// "invoicer/__init__.py" of 02_factory is stored as "02_factory/invoicer/__init__.py", so that
// unzipped in lessons/ each file lands where `flasklings check` reads it. fflate writes it.
export function lessonZip(slug, files) {
  const entries = {};
  for (const [name, text] of Object.entries(files)) entries[`${slug}/${name}`] = strToU8(text);
  return new Blob([zipSync(entries, { level: 6 })], { type: "application/zip" });
}
