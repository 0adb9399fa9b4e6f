/* Self-check questions (docs/hooks/quizzes.py makes the forms).
 *
 * Choosing an answer does nothing by itself: arrow keys move between the options of a radio
 * group and select as they go, so grading on a change would answer for the reader. The
 * "Check answer" button grades; the verdict goes into the form's live region, which screen
 * readers announce, and a right answer reveals the explanation. The reader may try again.
 * One listener on the document serves every page, also those that instant navigation
 * swaps in. */
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-fl-quiz]")) return;
    event.preventDefault();
    var inputs = [].slice.call(form.querySelectorAll("fieldset input"));
    var chosen = inputs.filter(function (input) { return input.checked; });
    var verdict = form.querySelector(".fl-quiz__verdict");
    var why = form.querySelector(".fl-quiz__why");
    var right = chosen.length > 0 && inputs.every(function (input) {
      return input.checked === input.hasAttribute("data-correct");
    });
    form.classList.toggle("fl-quiz--right", right);
    form.classList.toggle("fl-quiz--wrong", chosen.length > 0 && !right);
    var message = !chosen.length
      ? "Choose an answer first."
      : right
        ? "Correct."
        : inputs[0].type === "checkbox"
          ? "Not quite: choose every right answer and nothing else, then check again."
          : "Not quite: that answer is not the one. Choose another and check again.";
    // Emptied first, so that the same verdict twice is announced twice.
    verdict.textContent = "";
    setTimeout(function () { verdict.textContent = message; }, 100);
    if (why) why.hidden = !right;
  });
})();
