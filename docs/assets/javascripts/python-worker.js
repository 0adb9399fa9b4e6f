/* The in-browser Python for the lesson pages (started by browser-run.js on the first Run or
 * Check). It loads Pyodide, the wheels and the course files from this site's assets/python/
 * (docs/hooks/browser_run.py puts them there at build time), then answers:
 *   {kind: "run", lesson, code}    -> flasklings.browser_cells.run: output, error, limit
 *   {kind: "check", lesson, files} -> flasklings.browser_grading.check: the verdict
 * While Python loads, each request gets {kind: "progress"} messages to show. */
import { loadPyodide } from "../python/pyodide/pyodide.mjs";

const base = new URL("../python/", import.meta.url);
let ready = null;

async function fetchBytes(name) {
  const response = await fetch(new URL(name, base));
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function start(progress) {
  progress("Loading Python (once per visit)…");
  const manifestResponse = await fetch(new URL("manifest.json", base));
  const manifest = await manifestResponse.json();
  const archives = Promise.all([...manifest.archives, manifest.course].map(fetchBytes));
  const local = new URL("pyodide/", base).href;  // also for packages: never the CDN
  const pyodide = await loadPyodide({ indexURL: local, packageBaseUrl: local });
  progress("Loading Flask and the lesson's checks…");
  const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  const data = await archives;
  data.forEach((bytes, index) => {
    const course = index === data.length - 1;
    pyodide.unpackArchive(bytes, "zip", { extractDir: course ? "/course" : sitePackages });
  });
  pyodide.runPython("import sys; sys.path.insert(0, '/course/src')");
  return {
    cells: pyodide.pyimport("flasklings.browser_cells"),
    grading: () => pyodide.pyimport("flasklings.browser_grading"),  // imports pytest: on demand
    pyodide,
  };
}

self.onmessage = async (event) => {
  const request = event.data;
  const progress = (text) => self.postMessage({ id: request.id, kind: "progress", text });
  try {
    ready ??= start(progress).catch((error) => {
      ready = null;  // a failed start (a file that did not load) is tried again next time
      throw error;
    });
    const python = await ready;
    let value;
    progress(request.kind === "run" ? "Running…" : "Running the checks…");
    if (request.kind === "run") {
      value = JSON.parse(python.cells.run(request.lesson, request.code));
    } else {
      const files = python.pyodide.toPy(request.files);
      value = JSON.parse(python.grading().check_json("/course", request.lesson, files));
      files.destroy();
    }
    self.postMessage({ id: request.id, kind: "result", value });
  } catch (error) {
    self.postMessage({ id: request.id, kind: "error", text: String(error.message || error) });
  }
};
