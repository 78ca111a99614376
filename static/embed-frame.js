// Reserva: the script of a booking page framed by the venue's own site (/embed/...). It only
// tells the framing page the height of this page, so that the venue's embed.js can size the
// frame to it; the booking works the same without it. The height goes to the sites that may
// frame the page (listed in the page's meta reserva-embed-origins) and to no other.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var meta = document.querySelector('meta[name="reserva-embed-origins"]');
  var origins = meta ? meta.content.split(" ").filter(Boolean) : [];
  // Where the browser names the framing page's origin, only that one is told (when listed).
  var ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) {
    origins = origins.indexOf(ancestors[0]) >= 0 ? [ancestors[0]] : [];
  }
  var last = -1;
  function height() {
    var body = document.body;
    var style = window.getComputedStyle(body);
    return Math.ceil(body.getBoundingClientRect().height +
      parseFloat(style.marginTop) + parseFloat(style.marginBottom));
  }
  function send() {
    var h = height();
    if (h === last) {
      return;
    }
    last = h;
    for (var i = 0; i < origins.length; i++) {
      window.parent.postMessage({ type: "reserva:height", height: h }, origins[i]);
    }
  }
  if (window.ResizeObserver) {
    new ResizeObserver(send).observe(document.body);
  } else {
    window.addEventListener("resize", send);
  }
  window.addEventListener("load", send);
  send();
})();
