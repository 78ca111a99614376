// Reserva: include this on the page of your site that frames a Reserva booking page
// (<iframe src="https://YOUR-RESERVA/embed/SLUG">), from your Reserva itself:
//   <script src="https://YOUR-RESERVA/static/embed.js" async></script>
// It sets each such frame's height to the page inside it, so no scroll bar shows. Without it
// the frame keeps the height you gave it. It takes messages from your Reserva's origin only
// (where this script was loaded from), and from the frames on this page only.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  window.addEventListener("message", function (ev) {
    if (ev.origin !== origin) {
      return;
    }
    var d = ev.data;
    if (!d || d.type !== "reserva:height" || typeof d.height !== "number" || !isFinite(d.height)) {
      return;
    }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === ev.source) {
        frames[i].style.height = Math.max(80, Math.min(Math.round(d.height), 20000)) + "px";
      }
    }
  });
})();
