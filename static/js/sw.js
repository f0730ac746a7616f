// The booth's service worker (served as /booth-sw.js, scope /seller/): the booth screen, its
// data and its static files come from the network when there is one, from the cache when not.
// Sales made offline are kept by the page in IndexedDB (booth-offline.js), not here.
"use strict";
var CACHE = "cho40-booth-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function isBooth(url) {
  return url.origin === self.location.origin &&
    (url.pathname === "/seller/pos" || url.pathname === "/seller/pos/data");
}

var PATIENCE_MS = 4000;  // a network that answers slower than this is no network at a booth

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request.url, { ignoreVary: true }).then(function (hit) {
      return hit || cache.match(request.url, { ignoreSearch: true, ignoreVary: true });
    });
  });
}

function networkFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {  // not a sign-in page met on the way
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) {
    setTimeout(function () { fromCache(request).then(resolve); }, PATIENCE_MS);
  });
  var failed = network.catch(function () { return fromCache(request); });
  // The network's answer when it comes in time; else what the phone kept (if it kept it).
  return Promise.race([failed, slow.then(function (hit) { return hit || failed; })])
    .then(function (response) { return response || Response.error(); });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request.url, { ignoreVary: true }).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        if (response.ok) { cache.put(request.url, response.clone()); }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (isBooth(url) && !url.searchParams.has("fresh")) {  // fresh: a sync needs a live token
    event.respondWith(networkFirst(request));
  } else if (url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  }
});
