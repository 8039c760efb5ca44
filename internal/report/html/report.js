// kharden HTML report. The data comes from scanned input and may be hostile: it is only
// ever put on the page through textContent and attribute setters, never parsed as HTML.
(function () {
  'use strict';
  var SEV = ['info', 'low', 'medium', 'high', 'critical'];
  var PAGE = 100;
  // Result fields, as the Go renderer writes them.
  var R = 0, SV = 1, ST = 2, MSG = 3, FILE = 4, LINE = 5, COL = 6, KIND = 7, NS = 8, NAME = 9, PATH = 10, PRAC = 11, SUP = 12, VULN = 13;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  var meta = JSON.parse($('kh-meta').textContent);
  var rows = decode(JSON.parse($('kh-results').textContent));
  var rules = meta.rules;
  var practiceTitles = meta.practices || {};

  // decode resolves the string table: a string in the list defines the next entry, and a
  // number in a row's string field refers to one.
  function decode(data) {
    var table = [], out = [], fields = [ST, MSG, FILE, KIND, NS, NAME, PATH, SUP, VULN];
    function str(x) { return typeof x === 'number' ? table[x] : x; }
    for (var i = 0; i < data.length; i++) {
      var d = data[i];
      if (typeof d === 'string') { table.push(d); continue; }
      for (var k = 0; k < fields.length; k++) if (d.length > fields[k]) d[fields[k]] = str(d[fields[k]]);
      if (d[PRAC]) d[PRAC] = d[PRAC].map(str);
      out.push(d);
    }
    return out;
  }

  function statusOf(r) { return r[SUP] ? 'suppressed' : r[ST]; }
  function practicesOf(r) { return r[PRAC] || rules[r[R]].practices; }
  function place(r) {
    var p = r[FILE];
    if (r[LINE] > 0) p += ':' + r[LINE] + ':' + r[COL];
    return p;
  }
  function objectOf(r) {
    if (!r[KIND] && !r[NAME]) return '';
    return r[KIND] + ' ' + (r[NS] ? r[NS] + '/' : '') + r[NAME];
  }

  // The search text of a row, lower-cased, made when a search first looks at the row.
  var hay = new Array(rows.length);
  function hayOf(i) {
    var h = hay[i];
    if (h === undefined) {
      var r = rows[i], m = rules[r[R]];
      h = hay[i] = (m.id + '\n' + m.slug + '\n' + m.title + '\n' + r[MSG] + '\n' + r[FILE] + '\n' + objectOf(r) + '\n' + r[PATH] + '\n' + (r[VULN] || '')).toLowerCase();
    }
    return h;
  }

  // ---- header and summary ----
  $('kh-tool').textContent = meta.tool + ' ' + meta.version;
  $('kh-config').textContent = 'config: ' + meta.config + ' · fail on: ' + meta.failOn + ' · ' + meta.files + ' files, ' + meta.objects + ' objects';
  var verdict = $('kh-verdict');
  verdict.textContent = meta.failed ? 'FAILED: findings at or above ' + meta.failOn : 'passed: nothing at or above ' + meta.failOn;
  verdict.className = meta.failed ? 'verdict-fail' : 'verdict-pass';

  var filters = {
    severity: $('f-severity'), status: $('f-status'), rule: $('f-rule'), practice: $('f-practice'),
    kind: $('f-kind'), namespace: $('f-namespace'), file: $('f-file'), search: $('kh-search')
  };

  function count(key) {
    var m = new Map();
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (statusOf(r) !== 'fail') continue;
      var ks = key(r);
      for (var j = 0; j < ks.length; j++) m.set(ks[j], (m.get(ks[j]) || 0) + 1);
    }
    return m;
  }

  function bars(box, entries, label, onpick, sevClass) {
    var max = 1;
    entries.forEach(function (e) { if (e[1] > max) max = e[1]; });
    entries.forEach(function (e) {
      var b = el('div', 'bar');
      var l = el('span', 'lbl', label(e[0]));
      l.title = label(e[0]);
      var t = el('span', 'track'), f = el('span', 'fill' + (sevClass ? ' sev-' + e[0] : ''));
      f.style.display = 'block';
      f.style.width = (100 * e[1] / max).toFixed(1) + '%';
      t.appendChild(f);
      b.appendChild(l); b.appendChild(t); b.appendChild(el('span', 'num', e[1]));
      b.addEventListener('click', function () { onpick(e[0]); });
      box.appendChild(b);
    });
    if (!entries.length) box.appendChild(el('p', 'muted', 'no findings'));
  }

  function top(m, n) {
    var a = Array.from(m.entries());
    a.sort(function (x, y) { return y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0); });
    return n ? a.slice(0, n) : a;
  }

  function pick(name, value) {
    return function (v) { filters[name].value = value ? value(v) : v; apply(); };
  }

  var bySev = count(function (r) { return [SEV[r[SV]] || 'info']; });
  bars($('s-severity'), SEV.slice().reverse().map(function (s) { return [s, bySev.get(s) || 0]; }).filter(function (e) { return e[1] > 0; }),
    function (s) { return s; }, pick('severity'), true);
  bars($('s-namespace'), top(count(function (r) { return [r[NS] || '(none)']; }), 15), function (s) { return s; },
    pick('namespace', function (v) { return v === '(none)' ? '' : v; }));
  bars($('s-practice'), top(count(practicesOf), 15), function (p) { return p + ' ' + (practiceTitles[p] || ''); }, pick('practice'));

  // ---- filter choices ----
  function options(sel, values, label) {
    values.forEach(function (v) {
      var o = el('option', null, label ? label(v) : v);
      o.value = v;
      sel.appendChild(o);
    });
  }
  function distinct(key) {
    var s = new Set();
    for (var i = 0; i < rows.length; i++) { var ks = key(rows[i]); for (var j = 0; j < ks.length; j++) s.add(ks[j]); }
    return Array.from(s).sort();
  }
  options(filters.severity, SEV.slice().reverse());
  options(filters.rule, distinct(function (r) { return [r[R]]; }).map(Number).sort(function (a, b) { return rules[a].id < rules[b].id ? -1 : 1; }),
    function (i) { return rules[i].id + ' ' + rules[i].slug; });
  options(filters.practice, distinct(practicesOf), function (p) { return p + ' ' + (practiceTitles[p] || ''); });
  options(filters.kind, distinct(function (r) { return r[KIND] ? [r[KIND]] : []; }));
  // Namespaces and files can number in the thousands: suggestions for the most common,
  // matched as text, so the page stays small and every value can still be typed.
  function suggest(list, key) {
    top(count(function (r) { return [key(r)]; }), 500).forEach(function (e) { if (e[0]) { var o = el('option'); o.value = e[0]; list.appendChild(o); } });
  }
  suggest($('l-namespace'), function (r) { return r[NS]; });
  suggest($('l-file'), function (r) { return r[FILE]; });

  // ---- filtering and the table ----
  var shown = [], page = 0;
  // last is the previous filtering: a search that extends its query, with the other
  // filters as they were, only needs to look at what it kept.
  var last = { key: null, q: '', shown: null };

  function apply() {
    var sev = filters.severity.value, st = filters.status.value, ru = filters.rule.value,
      pr = filters.practice.value, ki = filters.kind.value, ns = filters.namespace.value.trim(),
      fi = filters.file.value.trim(), q = filters.search.value.trim().toLowerCase();
    var key = [sev, st, ru, pr, ki, ns, fi].join('\u0000');
    var from = null;
    if (key === last.key && last.q && q.indexOf(last.q) >= 0) from = last.shown;
    var sevN = sev === '' ? -1 : SEV.indexOf(sev), ruN = ru === '' ? -1 : Number(ru);
    var n = from ? from.length : rows.length;
    shown = [];
    for (var j = 0; j < n; j++) {
      var i = from ? from[j] : j, r = rows[i], s = statusOf(r);
      if (st === '' ? s === 'suppressed' : s !== st) continue;
      if (sevN >= 0 && r[SV] !== sevN) continue;
      if (ruN >= 0 && r[R] !== ruN) continue;
      if (ki && r[KIND] !== ki) continue;
      if (ns && r[NS].indexOf(ns) < 0) continue;
      if (fi && r[FILE].indexOf(fi) < 0) continue;
      if (pr && practicesOf(r).indexOf(pr) < 0) continue;
      if (q && hayOf(i).indexOf(q) < 0) continue;
      shown.push(i);
    }
    last = { key: key, q: q, shown: shown };
    page = 0;
    render();
  }

  function render() {
    var body = $('kh-rows');
    clear(body);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    var from = page * PAGE, to = Math.min(shown.length, from + PAGE);
    for (var k = from; k < to; k++) body.appendChild(row(shown[k]));
    var c = $('kh-count');
    c.dataset.count = String(shown.length);
    c.textContent = shown.length ? 'Showing ' + (from + 1) + '–' + to + ' of ' + shown.length + ' (' + rows.length + ' in the report)' : 'Nothing matches (' + rows.length + ' in the report)';
    $('kh-page').textContent = 'page ' + (page + 1) + ' of ' + pages;
    $('kh-prev').disabled = page === 0;
    $('kh-next').disabled = page >= pages - 1;
  }

  function row(i) {
    var r = rows[i], m = rules[r[R]], s = statusOf(r);
    var tr = el('tr', 'row');
    var sev = el('td'), badge = el('span', 'badge sev-' + (SEV[r[SV]] || 'info'), SEV[r[SV]] || r[SV]);
    sev.appendChild(badge);
    if (s !== 'fail') sev.appendChild(el('div', 'muted', s));
    var ru = el('td');
    ru.appendChild(el('code', null, m.id));
    ru.appendChild(document.createTextNode(' ' + m.slug));
    tr.appendChild(sev); tr.appendChild(ru);
    tr.appendChild(el('td', null, place(r)));
    tr.appendChild(el('td', null, objectOf(r)));
    tr.appendChild(el('td', null, r[MSG]));
    tr.addEventListener('click', function () {
      var next = tr.nextSibling;
      if (next && next.className === 'detail') { tr.parentNode.removeChild(next); return; }
      tr.parentNode.insertBefore(detail(r), next);
    });
    return tr;
  }

  function item(dl, term, value) {
    if (value === undefined || value === null || value === '' || (value.length === 0 && typeof value !== 'string')) return;
    dl.appendChild(el('dt', null, term));
    var dd = el('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
  }

  function links(urls) {
    var f = document.createDocumentFragment();
    urls.forEach(function (u, n) {
      if (n) f.appendChild(document.createTextNode('\n'));
      // Only web links are made clickable; anything else is shown as text.
      if (/^https?:\/\//i.test(u)) {
        var a = el('a', null, u);
        a.href = u;
        a.rel = 'noopener noreferrer';
        f.appendChild(a);
      } else {
        f.appendChild(document.createTextNode(u));
      }
    });
    return f;
  }

  function detail(r) {
    var m = rules[r[R]];
    var tr = el('tr', 'detail'), td = el('td');
    td.colSpan = 5;
    var dl = el('dl');
    item(dl, 'rule', m.id + ' ' + m.slug + ': ' + m.title);
    item(dl, 'message', r[MSG]);
    item(dl, 'place', place(r));
    item(dl, 'object', objectOf(r));
    item(dl, 'field', r[PATH]);
    item(dl, 'practices', practicesOf(r).map(function (p) { return p + ' ' + (practiceTitles[p] || ''); }).join('\n'));
    item(dl, 'suppressed', r[SUP]);
    item(dl, 'package', r[VULN]);
    item(dl, 'why', m.rationale);
    item(dl, 'remediation', m.remediation);
    var std = [];
    if (m.cis && m.cis.length) std.push('CIS ' + m.cis.join(', '));
    if (m.pss && m.pss.length) std.push('PSS ' + m.pss.join(', '));
    if (m.nsa && m.nsa.length) std.push('NSA/CISA ' + m.nsa.join('; '));
    item(dl, 'standards', std.join('\n'));
    item(dl, 'references', links([m.help].concat(m.references || [])));
    td.appendChild(dl);
    tr.appendChild(td);
    return tr;
  }

  ['severity', 'status', 'rule', 'practice', 'kind'].forEach(function (k) { filters[k].addEventListener('change', apply); });
  ['namespace', 'file', 'search'].forEach(function (k) { filters[k].addEventListener('input', apply); });
  $('kh-reset').addEventListener('click', function () {
    Object.keys(filters).forEach(function (k) { filters[k].value = ''; });
    apply();
  });
  $('kh-prev').addEventListener('click', function () { if (page > 0) { page--; render(); } });
  $('kh-next').addEventListener('click', function () { page++; render(); });

  // ---- input problems ----
  function problems(id, list, what) {
    var box = $(id);
    if (!list.length) return;
    box.appendChild(el('h2', null, list.length + ' ' + what));
    var ul = el('ul', 'problems');
    list.slice(0, 500).forEach(function (p) {
      ul.appendChild(el('li', null, p[0] + (p[1] > 0 ? ':' + p[1] + ':' + p[2] : '') + ': ' + p[3]));
    });
    if (list.length > 500) ul.appendChild(el('li', 'muted', 'and ' + (list.length - 500) + ' more'));
    box.appendChild(ul);
  }
  problems('kh-errors', meta.errors, 'input errors (not checked; exit code 2)');
  problems('kh-notes', meta.notes, 'notes');

  apply();
  document.body.dataset.ready = 'true';
})();
