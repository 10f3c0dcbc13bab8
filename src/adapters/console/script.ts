// The admin console's one script (docs/admin-console.md "Headers, styles and scripts"), served by
// ssod at /static/console.js under `script-src 'self'`: progressive only, every page works without
// it. It does one thing, live search: a GET form marked `data-live="ID"` sends itself as the
// administrator types (after a pause of 250 ms), and the element ID of the page is replaced by the
// same element of the answer; the address bar follows, so a reload shows the same list. Without
// script the form is sent by its button, and the server answers the same page.

export const SCRIPT_PATH = '/static/console.js';

export const CONSOLE_JS = `'use strict';
(function () {
  function liveSearch(form) {
    var targetId = form.getAttribute('data-live');
    var timer = null;
    var asked = 0;
    function send() {
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = form.getAttribute('action') + (query === '' ? '' : '?' + query);
      var mine = ++asked;
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (text === null || mine !== asked) return;
          var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById(targetId);
          var current = document.getElementById(targetId);
          if (fresh === null || current === null) return;
          current.replaceWith(document.importNode(fresh, true));
          history.replaceState(null, '', url);
        })
        .catch(function () {});
    }
    form.addEventListener('input', function () {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(send, 250);
    });
  }
  document.querySelectorAll('form[data-live]').forEach(liveSearch);
})();
`;
