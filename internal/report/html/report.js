// kharden HTML report. The data comes from scanned input and may be hostile: it is only
// ever put on the page through textContent and attribute setters, never parsed as HTML.
(function () {
  'use strict';
  var SEV = ['info', 'low', 'medium', 'high', 'critical'];
  var PAGE = 100, MAXLIST = 500;
  // Row fields, as the Go renderer writes them; strings are indexes into the table.
  var R = 0, SV = 1, ST = 2, MSG = 3, FILE = 4, LINE = 5, COL = 6, KIND = 7, NS = 8, NAME = 9, PATH = 10, W = 11;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  var meta = JSON.parse($('kh-meta').textContent);
  var rules = meta.rules;
  var practiceTitles = meta.practices || {};

  // ---- the data: a string table, the rows in one flat array, the extras by row ----
  var table = [], extra = new Map(), n = 0;
  var rows = (function () {
    var chunks = [];
    document.querySelectorAll('script.kh-data').forEach(function (s) {
      var c = JSON.parse(s.textContent);
      for (var i = 0; i < c.s.length; i++) table.push(c.s[i]);
      c.base = n;
      n += c.r.length / W;
      chunks.push(c);
    });
    var a = new Int32Array(n * W);
    chunks.forEach(function (c) {
      // Each number is the difference from the same field of the chunk's row before.
      var o = c.base * W;
      for (var j = 0; j < c.r.length; j++) a[o + j] = j < W ? c.r[j] : c.r[j] + a[o + j - W];
      c.x.forEach(function (x) {
        extra.set(c.base + x[0], { practices: x[1] ? x[1].map(function (i) { return table[i]; }) : null, suppressed: table[x[2]], pkg: table[x[3]] });
      });
    });
    return a;
  })();
  function f(i, k) { return rows[i * W + k]; }
  function s(i, k) { return table[rows[i * W + k]]; }

  // A text filter is decided once per string of the table, then per row by index.
  var lower = null;
  function tableMatch(test) {
    var m = new Uint8Array(table.length);
    for (var k = 0; k < table.length; k++) if (test(table[k], k)) m[k] = 1;
    return m;
  }

  var suppressed = new Uint8Array(n);
  extra.forEach(function (x, i) { if (x.suppressed) suppressed[i] = 1; });
  function statusOf(i) { return suppressed[i] ? 'suppressed' : s(i, ST); }
  function practicesOf(i) { var x = extra.get(i); return (x && x.practices) || rules[f(i, R)].practices; }
  function place(i) {
    var p = s(i, FILE);
    if (f(i, LINE) > 0) p += ':' + f(i, LINE) + ':' + f(i, COL);
    return p;
  }
  function objectOf(i) {
    var k = s(i, KIND), nm = s(i, NAME), ns = s(i, NS);
    if (!k && !nm) return '';
    return k + ' ' + (ns ? ns + '/' : '') + nm;
  }

  // ---- header ----
  $('kh-tool').textContent = meta.tool + ' ' + meta.version;
  $('kh-config').textContent = 'config: ' + meta.config + ' · fail on: ' + meta.failOn + ' · ' + meta.files + ' files, ' + meta.objects + ' objects';
  var verdict = $('kh-verdict');
  verdict.textContent = meta.failed ? 'FAILED: findings at or above ' + meta.failOn : 'passed: nothing at or above ' + meta.failOn;
  verdict.className = meta.failed ? 'verdict-fail' : 'verdict-pass';

  var filters = {
    severity: $('f-severity'), status: $('f-status'), rule: $('f-rule'), practice: $('f-practice'),
    kind: $('f-kind'), namespace: $('f-namespace'), file: $('f-file'), search: $('kh-search')
  };

  // ---- counts, in one pass: findings (status fail, not suppressed) by severity,
  // namespace, rule and file; every rule and kind present ----
  // Counts are keyed by string, not index: a string can have several indexes (the Go
  // side's table starts over past its limit).
  var fail = tableMatch(function (t) { return t === 'fail'; });
  var bySev = [0, 0, 0, 0, 0], byNS = new Map(), byRule = new Int32Array(rules.length), byFile = new Map();
  var rulePresent = new Uint8Array(rules.length), kindPresent = new Set(), pracOverride = new Map();
  for (var i = 0; i < n; i++) {
    var o = i * W, r = rows[o + R], file = table[rows[o + FILE]];
    rulePresent[r] = 1;
    kindPresent.add(table[rows[o + KIND]]);
    byFile.set(file, (byFile.get(file) || 0) + 1);
    if (suppressed[i] || !fail[rows[o + ST]]) continue;
    bySev[rows[o + SV]]++;
    var ns = table[rows[o + NS]];
    byNS.set(ns, (byNS.get(ns) || 0) + 1);
    var x = extra.get(i);
    if (x && x.practices) x.practices.forEach(function (p) { pracOverride.set(p, (pracOverride.get(p) || 0) + 1); });
    else byRule[r]++;
  }
  var byPractice = new Map(pracOverride);
  rules.forEach(function (m, r) {
    if (byRule[r]) m.practices.forEach(function (p) { byPractice.set(p, (byPractice.get(p) || 0) + byRule[r]); });
  });

  function top(m, max) {
    var a = Array.from(m.entries());
    a.sort(function (x, y) { return y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0); });
    return max ? a.slice(0, max) : a;
  }

  function bars(box, entries, label, onpick, sevClass) {
    var max = 1;
    entries.forEach(function (e) { if (e[1] > max) max = e[1]; });
    entries.forEach(function (e) {
      var b = el('div', 'bar');
      var l = el('span', 'lbl', label(e[0]));
      l.title = label(e[0]);
      var t = el('span', 'track'), fill = el('span', 'fill' + (sevClass ? ' sev-' + e[0] : ''));
      fill.style.display = 'block';
      fill.style.width = (100 * e[1] / max).toFixed(1) + '%';
      t.appendChild(fill);
      b.appendChild(l); b.appendChild(t); b.appendChild(el('span', 'num', e[1]));
      b.addEventListener('click', function () { onpick(e[0]); });
      box.appendChild(b);
    });
    if (!entries.length) box.appendChild(el('p', 'muted', 'no findings'));
  }
  function pick(name, value) {
    return function (v) { filters[name].value = value ? value(v) : v; apply(); };
  }
  function practiceLabel(p) { return p + ' ' + (practiceTitles[p] || ''); }

  bars($('s-severity'), SEV.map(function (name, k) { return [name, bySev[k]]; }).reverse().filter(function (e) { return e[1] > 0; }),
    function (v) { return v; }, pick('severity'), true);
  bars($('s-namespace'), top(byNS, 15).map(function (e) { return [e[0] || '(none)', e[1]]; }), function (v) { return v; },
    pick('namespace', function (v) { return v === '(none)' ? '' : v; }));
  bars($('s-practice'), top(byPractice, 15), practiceLabel, pick('practice'));

  // ---- filter choices ----
  function options(sel, values, label) {
    values.forEach(function (v) {
      var opt = el('option', null, label ? label(v) : v);
      opt.value = v;
      sel.appendChild(opt);
    });
  }
  options(filters.severity, SEV.slice().reverse());
  var present = [];
  rulePresent.forEach(function (p, r) { if (p) present.push(r); });
  present.sort(function (a, b) { return rules[a].id < rules[b].id ? -1 : rules[a].id > rules[b].id ? 1 : 0; });
  options(filters.rule, present.map(String), function (r) { return rules[r].id + ' ' + rules[r].slug; });
  var pracs = new Set(pracOverride.keys());
  present.forEach(function (r) { rules[r].practices.forEach(function (p) { pracs.add(p); }); });
  options(filters.practice, Array.from(pracs).sort(), practiceLabel);
  options(filters.kind, Array.from(kindPresent).filter(Boolean).sort());
  // Namespaces and files can number in the thousands: suggestions for the most common,
  // matched as text, so the page stays small and every value can still be typed.
  function suggest(list, counts) {
    top(counts, MAXLIST).forEach(function (e) { if (e[0]) { var opt = el('option'); opt.value = e[0]; list.appendChild(opt); } });
  }
  suggest($('l-namespace'), byNS);
  suggest($('l-file'), byFile);

  // ---- filtering ----
  var lower = null;
  function searchMatch(q) {
    if (!lower) lower = table.map(function (t) { return t.toLowerCase(); });
    var m = new Uint8Array(lower.length);
    for (var k = 0; k < lower.length; k++) if (lower[k].indexOf(q) >= 0) m[k] = 1;
    return m;
  }

  var shown = [], page = 0;
  // last is the previous filtering: a search that extends its query, with the other
  // filters as they were, only needs to look at what it kept.
  var last = { key: null, q: '', shown: null };

  function apply() {
    var sev = filters.severity.value, st = filters.status.value, ru = filters.rule.value,
      pr = filters.practice.value, ki = filters.kind.value, ns = filters.namespace.value.trim(),
      fi = filters.file.value.trim(), q = filters.search.value.trim().toLowerCase();
    var key = [sev, st, ru, pr, ki, ns, fi].join('\u0000');
    var from = key === last.key && last.q && q.indexOf(last.q) >= 0 ? last.shown : null;
    var sevN = sev === '' ? -1 : SEV.indexOf(sev), ruN = ru === '' ? -1 : Number(ru);
    var stM = st && st !== 'suppressed' ? tableMatch(function (t) { return t === st; }) : null;
    var kiM = ki ? tableMatch(function (t) { return t === ki; }) : null;
    var nsM = ns ? tableMatch(function (t) { return t.indexOf(ns) >= 0; }) : null;
    var fiM = fi ? tableMatch(function (t) { return t.indexOf(fi) >= 0; }) : null;
    var qM = q ? searchMatch(q) : null, qR = null;
    if (q) qR = rules.map(function (m) { return (m.id + '\n' + m.slug + '\n' + m.title).toLowerCase().indexOf(q) >= 0; });
    var prR = pr ? rules.map(function (m) { return m.practices.indexOf(pr) >= 0; }) : null;
    var count = from ? from.length : n;
    var out = [];
    for (var j = 0; j < count; j++) {
      var i = from ? from[j] : j, o = i * W;
      if (st === '' ? suppressed[i] : st === 'suppressed' ? !suppressed[i] : suppressed[i] || !stM[rows[o + ST]]) continue;
      if (sevN >= 0 && rows[o + SV] !== sevN) continue;
      if (ruN >= 0 && rows[o + R] !== ruN) continue;
      if (kiM && !kiM[rows[o + KIND]]) continue;
      if (nsM && !nsM[rows[o + NS]]) continue;
      if (fiM && !fiM[rows[o + FILE]]) continue;
      if (prR) {
        var x = extra.get(i);
        if (x && x.practices ? x.practices.indexOf(pr) < 0 : !prR[rows[o + R]]) continue;
      }
      if (qM && !(qR[rows[o + R]] || qM[rows[o + MSG]] || qM[rows[o + FILE]] || qM[rows[o + NAME]] || qM[rows[o + NS]] ||
        qM[rows[o + KIND]] || qM[rows[o + PATH]] || searchExtra(i, q))) continue;
      out.push(i);
    }
    shown = out;
    last = { key: key, q: q, shown: shown };
    page = 0;
    render();
  }
  function searchExtra(i, q) {
    var x = extra.get(i);
    return !!(x && x.pkg && x.pkg.toLowerCase().indexOf(q) >= 0);
  }

  // ---- the table: one page of rows in the document at a time ----
  function render() {
    var body = $('kh-rows');
    clear(body);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    var from = page * PAGE, to = Math.min(shown.length, from + PAGE);
    for (var k = from; k < to; k++) body.appendChild(row(shown[k]));
    var c = $('kh-count');
    c.dataset.count = String(shown.length);
    c.textContent = shown.length ? 'Showing ' + (from + 1) + '–' + to + ' of ' + shown.length + ' (' + n + ' in the report)' : 'Nothing matches (' + n + ' in the report)';
    $('kh-page').textContent = 'page ' + (page + 1) + ' of ' + pages;
    $('kh-prev').disabled = page === 0;
    $('kh-next').disabled = page >= pages - 1;
  }

  function row(i) {
    var m = rules[f(i, R)], st = statusOf(i), sv = SEV[f(i, SV)] || 'info';
    var tr = el('tr', 'row');
    var sev = el('td');
    sev.appendChild(el('span', 'badge sev-' + sv, sv));
    if (st !== 'fail') sev.appendChild(el('div', 'muted', st));
    var ru = el('td');
    ru.appendChild(el('code', null, m.id));
    ru.appendChild(document.createTextNode(' ' + m.slug));
    tr.appendChild(sev); tr.appendChild(ru);
    tr.appendChild(el('td', null, place(i)));
    tr.appendChild(el('td', null, objectOf(i)));
    tr.appendChild(el('td', null, s(i, MSG)));
    tr.addEventListener('click', function () {
      var next = tr.nextSibling;
      if (next && next.className === 'detail') { tr.parentNode.removeChild(next); return; }
      tr.parentNode.insertBefore(detail(i), next);
    });
    return tr;
  }

  function item(dl, term, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', null, term));
    var dd = el('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
  }

  function links(urls) {
    var frag = document.createDocumentFragment();
    urls.forEach(function (u, k) {
      if (k) frag.appendChild(document.createTextNode('\n'));
      // Only web links are made clickable; anything else is shown as text.
      if (/^https?:\/\//i.test(u)) {
        var a = el('a', null, u);
        a.href = u;
        a.rel = 'noopener noreferrer';
        frag.appendChild(a);
      } else {
        frag.appendChild(document.createTextNode(u));
      }
    });
    return frag;
  }

  function detail(i) {
    var m = rules[f(i, R)], x = extra.get(i) || {};
    var tr = el('tr', 'detail'), td = el('td');
    td.colSpan = 5;
    var dl = el('dl');
    item(dl, 'rule', m.id + ' ' + m.slug + ': ' + m.title);
    item(dl, 'message', s(i, MSG));
    item(dl, 'place', place(i));
    item(dl, 'object', objectOf(i));
    item(dl, 'field', s(i, PATH));
    item(dl, 'practices', practicesOf(i).map(practiceLabel).join('\n'));
    item(dl, 'suppressed', x.suppressed);
    item(dl, 'package', x.pkg);
    item(dl, 'why', m.rationale);
    item(dl, 'remediation', m.remediation);
    var std = [];
    if (m.cis.length) std.push('CIS ' + m.cis.join(', '));
    if (m.pss.length) std.push('PSS ' + m.pss.join(', '));
    if (m.nsa.length) std.push('NSA/CISA ' + m.nsa.join('; '));
    item(dl, 'standards', std.join('\n'));
    item(dl, 'references', links([m.help].concat(m.references)));
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
    list.slice(0, MAXLIST).forEach(function (p) {
      ul.appendChild(el('li', null, p[0] + (p[1] > 0 ? ':' + p[1] + ':' + p[2] : '') + ': ' + p[3]));
    });
    if (list.length > MAXLIST) ul.appendChild(el('li', 'muted', 'and ' + (list.length - MAXLIST) + ' more'));
    box.appendChild(ul);
  }
  problems('kh-errors', meta.errors, 'input errors (not checked; exit code 2)');
  problems('kh-notes', meta.notes, 'notes');

  apply();
  document.body.dataset.ready = 'true';
})();
