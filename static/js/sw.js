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

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {  // not a sign-in page met on the way
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request.url, { ignoreVary: true }).then(function (hit) {
        return hit || cache.match(request.url, { ignoreSearch: true, ignoreVary: true });
      });
    }).then(function (hit) { return hit || Response.error(); });
  });
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
  if (isBooth(url)) {
    event.respondWith(networkFirst(request));
  } else if (url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  }
});
