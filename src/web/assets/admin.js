// Admin policy form: an .ics file chosen here is read in the browser and put into the "ics" text
// area, which the server parses (the form posts url-encoded, so a file input alone would send
// nothing). Without JavaScript the text area still takes pasted .ics text.
(function () {
  'use strict';
  var input = document.getElementById('ics-file');
  if (!input) return;
  var target = document.getElementById(input.getAttribute('data-target'));
  if (!target) return;
  input.hidden = false;
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    file.text().then(function (text) {
      target.value = text;
    });
  });
})();
