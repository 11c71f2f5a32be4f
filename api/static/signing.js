(function () {
  var doc = document.getElementById('document');
  var read = document.getElementById('read_confirmed');
  var hint = document.getElementById('read-hint');
  if (doc && read) {
    // The confirmation unlocks once the end of the document has been on screen.
    var unlock = function () {
      read.disabled = false; hint.textContent = 'You have reached the end of the document.';
    };
    var end = document.getElementById('document-end');
    read.disabled = true;
    if ('IntersectionObserver' in window) {
      new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { if (e.isIntersecting) { unlock(); } });
      }, { root: doc }).observe(end);
    } else {
      unlock();
    }
  }
  var pad = document.getElementById('signature-pad');
  if (!pad) { return; }
  var ctx = pad.getContext('2d'), drawing = false, drawn = false;
  ctx.lineWidth = 3; ctx.lineCap = 'round'; ctx.strokeStyle = '#000';
  var pos = function (e) {
    var r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener('pointerdown', function (e) { drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
  pad.addEventListener('pointermove', function (e) { if (!drawing) return; var p = pos(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
  ['pointerup', 'pointerleave'].forEach(function (t) { pad.addEventListener(t, function () { drawing = false; }); });
  document.getElementById('clear-signature').addEventListener('click', function () {
    ctx.clearRect(0, 0, pad.width, pad.height); drawn = false;
  });
  var typedArea = document.getElementById('typed-area'), drawnArea = document.getElementById('drawn-area');
  document.querySelectorAll('input[name=mode]').forEach(function (r) {
    r.addEventListener('change', function () {
      var isDrawn = document.getElementById('mode-drawn').checked;
      drawnArea.hidden = !isDrawn; typedArea.hidden = isDrawn;
    });
  });
  document.getElementById('sign-form').addEventListener('submit', function () {
    if (document.getElementById('mode-drawn').checked && drawn) {
      document.getElementById('drawn_signature').value = pad.toDataURL('image/png');
    }
  });
})();
