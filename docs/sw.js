/* The course offline: a service worker that keeps a copy of what this site served.
 *
 * browser-run.js registers it once a page has loaded. Every request for this site goes to
 * the network first (so a new version of the course shows at once, and the browser's own
 * HTTP cache keeps it fast), and what comes back is kept; when the network fails, the kept
 * copy answers. So every page read, and Python with the lesson files once a Run or Check has
 * loaded them (assets/python/, about 20 MB), work offline after that first visit. A copy is
 * written again only when the site's file changed (its ETag, Last-Modified or length), not
 * at every visit. Nothing from another site is touched.
 */
const CACHE = "flasklings-offline-v1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("flasklings-offline-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();  // the page that registered it is served from now on
  })());
});

// The page that registered this worker was loaded before it was there: it sends what it
// loaded (its own address and its files), which is kept now so that it reloads offline too.
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.keep) || [];
  event.waitUntil(keepAll(urls));
});

async function keepAll(urls) {
  const cache = await caches.open(CACHE);
  const ours = urls.filter((url) => new URL(url).origin === self.location.origin);
  await Promise.all(ours.map(async (url) => {
    if (await cache.match(url)) return;
    try {
      const response = await fetch(url);
      if (response.ok) await cache.put(url, response);
    } catch (error) { /* offline already: the next visit keeps it */ }
  }));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(networkElseKept(request, event));
});

const VERSION_HEADERS = ["etag", "last-modified", "content-length"];

function sameVersion(a, b) {
  return VERSION_HEADERS.every((name) => a.headers.get(name) === b.headers.get(name));
}

async function networkElseKept(request, event) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
  if (response.ok && response.type === "basic" && !request.headers.has("range")) {
    const copy = response.clone();  // kept beside the answer, which is not held up for it
    event.waitUntil((async () => {
      const kept = await cache.match(request);
      if (!kept || !sameVersion(kept, copy)) await cache.put(request, copy);
    })());
  }
  return response;
}
