/* Maps on 地理院タイル, added over pages that already show the same data as a
   table or list (progressive enhancement: without JavaScript or Leaflet the
   page is complete and this file does nothing).

   Contract, per map:
     <div class="map" id="…" data-map data-geojson="URL" aria-label="…" hidden></div>
   or the GeoJSON inline, in a child <script type="application/json">…</script>.
   Point features: properties.name (optional url, description) → markers that
   take keyboard focus (Tab) and open a popup with Enter.
   LineString/MultiLineString: properties.name, optional color "#RRGGBB" → lines
   with a tooltip, each also drawn with its own dash pattern so colour is not
   the only difference.
   The container is unhidden here, as is any element with data-map-skip="<map id>"
   (the link that skips past the map). Text from the data is only ever set as
   text, never as HTML. */
(function () {
  "use strict";

  var L = window.L;
  if (!L || !L.map || !document.querySelectorAll) {
    return;
  }

  var TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";
  var TILE_ATTRIBUTION =
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>';
  var LINE_COLOR = "#00557f";
  var DASHES = [null, "12 6", "3 6", "14 5 3 5"];
  var JAPAN_CENTER = [36.2, 138.25];

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) {
      node.className = className;
    }
    return node;
  }

  // Only http(s) links, resolved against the page, so data cannot inject
  // javascript: or other schemes.
  function safeUrl(value) {
    if (typeof value !== "string" || !value) {
      return null;
    }
    try {
      var resolved = new URL(value, document.baseURI);
      return resolved.protocol === "http:" || resolved.protocol === "https:" ? resolved.href : null;
    } catch (error) {
      return null;
    }
  }

  function nameOf(feature, fallback) {
    var props = (feature && feature.properties) || {};
    return typeof props.name === "string" && props.name ? props.name : fallback;
  }

  function popupContent(feature) {
    var props = feature.properties || {};
    var box = document.createElement("div");
    box.className = "map-popup";
    box.tabIndex = -1;
    var title = document.createElement("p");
    title.className = "map-popup-title";
    var url = safeUrl(props.url);
    var name = nameOf(feature, "地点");
    if (url) {
      var link = text("a", name);
      link.href = url;
      title.appendChild(link);
    } else {
      title.appendChild(text("strong", name));
    }
    box.appendChild(title);
    if (typeof props.description === "string" && props.description) {
      box.appendChild(text("p", props.description));
    }
    return box;
  }

  function lineStyle(feature, index) {
    var color = (feature.properties || {}).color;
    return {
      color: typeof color === "string" && /^#[0-9a-fA-F]{6}$/.test(color) ? color : LINE_COLOR,
      weight: 5,
      opacity: 0.9,
      dashArray: DASHES[index % DASHES.length],
    };
  }

  function readData(container) {
    var inline = container.querySelector('script[type="application/json"]');
    if (inline) {
      return Promise.resolve().then(function () {
        return JSON.parse(inline.textContent);
      });
    }
    var source = container.getAttribute("data-geojson");
    if (!source) {
      return Promise.reject(new Error("no data-geojson"));
    }
    return fetch(source, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function unhide(container) {
    container.hidden = false;
    if (container.id) {
      var skips = document.querySelectorAll("[data-map-skip]");
      for (var i = 0; i < skips.length; i++) {
        if (skips[i].getAttribute("data-map-skip") === container.id) {
          skips[i].hidden = false;
        }
      }
    }
  }

  // Popups opened from the keyboard take the focus (so their text is read),
  // close with Escape, and give the focus back to their marker when they close.
  // (Leaflet's own Escape works only while the map's container has the focus.)
  function keepFocusWithPopups(map, container) {
    container.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && map._popup && map.hasLayer(map._popup)) {
        map.closePopup();
      }
    });
    map.on("popupopen", function (event) {
      var popup = event.popup;
      var element = popup.getElement();
      var close = element && element.querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "閉じる");
        close.setAttribute("title", "閉じる");
      }
      var source = popup._source;
      var icon = source && source.getElement && source.getElement();
      if (icon && document.activeElement === icon) {
        var content = element.querySelector(".map-popup");
        if (content) {
          content.focus();
        }
      }
    });
    map.on("popupclose", function (event) {
      var element = event.popup.getElement();
      var source = event.popup._source;
      var icon = source && source.getElement && source.getElement();
      var active = document.activeElement;
      if (icon && (!active || active === document.body || (element && element.contains(active)))) {
        icon.focus();
      }
    });
  }

  // A line takes the focus like a marker (Leaflet opens its tooltip on focus),
  // and is announced by its name. Leaflet leaves aria-describedby pointing at the
  // tooltip after it closes; the tooltip is gone then, so is the reference.
  function nameLine(item, name) {
    var path = item.getElement && item.getElement();
    if (!path) {
      return;
    }
    path.setAttribute("tabindex", "0");
    path.setAttribute("role", "img");
    path.setAttribute("aria-label", name);
    item.on("tooltipclose", function () {
      path.removeAttribute("aria-describedby");
    });
  }

  function draw(container, data) {
    unhide(container);
    if (!container.getAttribute("role")) {
      container.setAttribute("role", "region");
    }
    if (!container.getAttribute("aria-label") && !container.getAttribute("aria-labelledby")) {
      container.setAttribute("aria-label", "地図");
    }
    var map = L.map(container, {
      zoomControl: false,
      // The page keeps scrolling with the wheel; zoom is on the buttons and + / − keys.
      scrollWheelZoom: false,
      attributionControl: true,
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
    L.control.zoom({ zoomInTitle: "拡大", zoomOutTitle: "縮小" }).addTo(map);
    L.tileLayer(TILE_URL, {
      attribution: TILE_ATTRIBUTION,
      maxZoom: 18,
      minZoom: 5,
    }).addTo(map);
    keepFocusWithPopups(map, container);

    var lineIndex = 0;
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var name = nameOf(feature, "地点");
        return L.marker(latlng, { alt: name, title: name, keyboard: true });
      },
      style: function (feature) {
        return lineStyle(feature, lineIndex);
      },
      onEachFeature: function (feature, item) {
        var kind = feature.geometry && feature.geometry.type;
        if (kind === "Point" || kind === "MultiPoint") {
          item.bindPopup(popupContent(feature));
        } else {
          lineIndex += 1;
          item.bindTooltip(text("span", nameOf(feature, "路線")), { sticky: true });
        }
      },
    }).addTo(map);

    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView(JAPAN_CENTER, 5);
    }
    // Paths exist once the map has a view.
    layer.eachLayer(function (item) {
      if (item.getTooltip && item.getTooltip()) {
        nameLine(item, nameOf(item.feature, "路線"));
      }
    });
    container.kokaiMap = map;
    return map;
  }

  function failed(container) {
    unhide(container);
    container.textContent = "";
    container.style.height = "auto";
    container.appendChild(
      text("p", "地図を表示できませんでした。同じ内容を表でご覧いただけます。", "map-error")
    );
  }

  function init() {
    var containers = document.querySelectorAll("[data-map]");
    Array.prototype.forEach.call(containers, function (container) {
      readData(container).then(
        function (data) {
          draw(container, data);
        },
        function () {
          failed(container);
        }
      );
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
