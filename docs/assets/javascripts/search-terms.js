/* Search: a term that starts with dashes is a command-line option, not an exclusion.
 *
 * Material's search (Lunr) reads "-term" as "without term", so "flask --app" would find
 * nothing. Readers of this course search for options like --app and --debug, so the dashes
 * in front of a term are dropped from the query before it reaches the search worker; the
 * index splits "--app" into "app" anyway (mkdocs.yml, search separator). Query messages are
 * the only ones with a string as data; other messages pass through untouched. */
(function () {
  var post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message) {
    if (message && typeof message.data === "string") {
      var query = message.data.replace(/(^|\s)-+(?=[^\s-])/g, "$1");
      message = Object.assign({}, message, { data: query });
    }
    return post.apply(this, [message].concat([].slice.call(arguments, 1)));
  };
})();
