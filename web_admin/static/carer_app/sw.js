// Service worker: the app shell from the cache (refreshed in the background),
// and today's rota network-first with the last copy kept for offline use.
// Visit events are NOT handled here: the page queues them in IndexedDB.
const VERSION = "2026-12-07.3";
const SHELL = `ecm-shell-${VERSION}`;
const ROTA = "ecm-rota";
const SHELL_FILES = [
  "./", "app.css", "manifest.webmanifest",
  "js/app.js", "js/api.js", "js/dom.js", "js/geo.js", "js/queue.js", "js/store.js",
  "js/views.js", "js/visit_state.js",
  "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-180.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("ecm-shell-") && k !== SHELL)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function rotaNetworkFirst(request) {
  const cache = await caches.open(ROTA);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const saved = await cache.match(request.url, { ignoreVary: true });
    if (saved) return saved;
    throw error;
  }
}

async function shellCacheFirst(event) {
  const cache = await caches.open(SHELL);
  const url = new URL(event.request.url);
  const key = event.request.mode === "navigate" ? "./" : event.request;
  const cached = await cache.match(key, { ignoreSearch: event.request.mode === "navigate" });
  const fresh = fetch(event.request).then((response) => {
    if (response.ok && event.request.mode !== "navigate" && url.pathname !== "/app/sw.js") {
      cache.put(event.request, response.clone());
    } else if (response.ok && event.request.mode === "navigate") {
      cache.put("./", response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/api/v1/me/rota") {
    event.respondWith(rotaNetworkFirst(event.request));
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(shellCacheFirst(event));
  }
});
