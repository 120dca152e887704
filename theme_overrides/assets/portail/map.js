/* The interactive layer of /carte/: Leaflet (served by this site) with
   clustered markers built from the list of places in the page, filtered
   together with that list by content type and theme. The base is the
   regions' boundaries (carte/regions.geojson, from this site); tiles are
   loaded only when the site configures a tile server. Without JavaScript
   the static map and the full list stay as they are. */
(function () {
  "use strict";
  var root = document.querySelector("[data-portail-map]");
  if (!root || !window.L || !L.markerClusterGroup) return;
  var config = JSON.parse(root.getAttribute("data-config") || "{}");
  var live = root.querySelector(".portail-map__live");
  var status = root.querySelector(".portail-map__status");
  var filters = root.querySelector(".portail-map__filters");
  var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-filter-name]"));
  var entries = Array.prototype.slice.call(document.querySelectorAll(".portail-map__entry"));
  var staticMap = root.querySelector(".portail-map__static");

  live.hidden = false;
  filters.hidden = false;
  var map = L.map(live, {
    attributionControl: !!config.tiles,
    zoomControl: false,
    minZoom: 3,
    maxZoom: 18,
    zoomSnap: 0.25, // metropolitan France fills the frame rather than a third of it
    worldCopyJump: false
  });
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  map.fitBounds([[41.3, -5.3], [51.2, 9.7]]);
  if (config.tiles) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 18 }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
  } else if (config.boundaries) {
    fetch(config.boundaries).then(function (response) { return response.json(); }).then(function (data) {
      L.geoJSON(data, { interactive: false, style: { color: "#14532d", weight: 1, fillColor: "#e4ece6", fillOpacity: 1 } }).addTo(map).bringToBack();
    }).catch(function () {});
  }
  if (staticMap) staticMap.hidden = true;

  var cluster = L.markerClusterGroup({
    showCoverageOnHover: false,
    iconCreateFunction: function (group) {
      var count = group.getChildCount();
      var size = count < 10 ? 34 : count < 100 ? 40 : 48;
      return L.divIcon({
        html: '<span aria-hidden="true">' + count + '</span><span class="portail-visually-hidden">' + count + " contenus : agrandir</span>",
        className: "portail-map__cluster",
        iconSize: L.point(size, size)
      });
    }
  });
  map.addLayer(cluster);

  function popup(entry) {
    var link = entry.querySelector("a");
    var box = document.createElement("div");
    var title = document.createElement("a");
    title.href = link.href;
    title.textContent = link.textContent;
    var type = document.createElement("span");
    type.className = "portail-map__popup-type";
    type.textContent = entry.getAttribute("data-type");
    box.appendChild(title);
    box.appendChild(type);
    return box;
  }

  var markers = entries.map(function (entry) {
    if (!entry.hasAttribute("data-lat")) return null;
    var title = entry.querySelector("a").textContent;
    var marker = L.marker([parseFloat(entry.getAttribute("data-lat")), parseFloat(entry.getAttribute("data-lon"))], {
      title: title,
      alt: title + " (" + entry.getAttribute("data-type") + ")",
      keyboard: true
    });
    marker.bindPopup(function () { return popup(entry); });
    return marker;
  });
  map.on("popupopen", function (event) {
    var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", "Fermer"); close.setAttribute("title", "Fermer"); }
  });

  // Each entry's filter tokens, padded with spaces, read once.
  var tokens = entries.map(function (entry) { return " " + (entry.getAttribute("data-filtres") || "") + " "; });
  // The list is narrowed by one style rule on the entries' tokens: toggling
  // thousands of elements one by one costs seconds, a rule one style pass.
  var rule = document.createElement("style");
  document.head.appendChild(rule);

  function apply() {
    var wanted = selects.map(function (s) { return s.value; }).filter(Boolean);
    var shown = [];
    var listed = 0;
    rule.textContent = wanted.map(function (w) {
      return '.portail-map__list > li:not([data-filtres~="' + w + '"])';
    }).join(", ") + (wanted.length ? " { display: none; }" : "");
    tokens.forEach(function (own, index) {
      var match = wanted.every(function (w) { return own.indexOf(" " + w + " ") !== -1; });
      if (match) {
        listed += 1;
        if (markers[index]) shown.push(markers[index]);
      }
    });
    cluster.clearLayers();
    cluster.addLayers(shown);
    root.setAttribute("data-markers", String(shown.length));
    root.setAttribute("data-listed", String(listed));
    status.textContent = listed + (listed > 1 ? " contenus" : " contenu") + ", dont " + shown.length + " sur la carte";
  }
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  apply();
  root.setAttribute("data-ready", "true");
  root.setAttribute("data-ready-ms", String(Math.round(performance.now())));  // read by benchmarks/map.py
})();
