/*
 * The print button of the printable complaint forms. A static file because the CSP allows no
 * inline script.
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print-page]");
    if (button) window.print();
  });
})();
