(function () {
  "use strict";
  // The page of cppcc_nlp.html_report. Every text of the report is data: it reaches the page through
  // textContent and text nodes only, never as markup.
  var $ = function (id) { return document.getElementById(id); };
  var DATA = JSON.parse($("report-data").textContent);
  var THEMES = DATA.themes;
  var T = THEMES.length;
  var DOCS = DATA.docs; // [id, source, section names, sentences, sentences per theme]
  // a sentence: [section, paragraph, index in section, start, end, text, label bits, scores x 10000, explanation]
  var SEC = 0, PARA = 1, IDX = 2, START = 3, END = 4, TEXT = 5, MASK = 6, SCORES = 7, WHY = 8, NORM = 9;
  var ROW = 30;
  var CHUNK = 150;
  var chunks = [];
  var terms = null;
  var marks = new Map(); // "doc:sentence" -> array of theme indices chosen as right
  var state = { view: "", doc: -1, focus: -1, scope: null, theme: "", lo: 0, hi: 1, q: [], marked: false, hide: false };
  var hook = window.cppccReport = { data: DATA, overviewDrawnAt: null, ready: false };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + alpha.toFixed(3) + ")";
  }
  function clickable(node, action) {
    node.tabIndex = 0;
    node.addEventListener("click", action);
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); action(event); }
    });
  }
  function pct(x) { return (x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0) + "%"; }
  function norm(text) { return text.normalize("NFKC").toLowerCase(); }
  function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }
  function plural(n, word) { return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s"); }
  function loaded() { return document.readyState !== "loading"; }

  // -- data blocks, parsed when first needed ---------------------------------------------------
  function sentencesOf(d) {
    var c = Math.floor(d / DATA.chunkDocs);
    if (!chunks[c]) chunks[c] = JSON.parse($("chunk-" + c).textContent);
    return chunks[c][d - c * DATA.chunkDocs];
  }
  function termList() {
    if (!terms) terms = JSON.parse($("report-terms").textContent);
    return terms;
  }
  function labelsOf(mask) { var out = []; for (var k = 0; k < T; k++) if (mask >> k & 1) out.push(k); return out; }

  // -- header ------------------------------------------------------------------------------------
  function drawHeader() {
    document.title = DATA.title;
    $("title").textContent = DATA.title;
    var sentences = 0;
    for (var d = 0; d < DOCS.length; d++) sentences += DOCS[d][3];
    var parts = [plural(DOCS.length, "document"), plural(sentences, "sentence")];
    if (DATA.model) parts.push("model " + DATA.model);
    if (DATA.shares) {
      parts.push("shares: " + DATA.shares.method + ", " + Math.round(DATA.shares.confidence * 100) +
        " % intervals, by " + DATA.shares.by);
    }
    parts.push("made " + DATA.created + " by " + DATA.generator);
    $("summary").textContent = parts.join(" · ");
    var legend = $("legend");
    THEMES.forEach(function (theme) {
      var item = el("span");
      var swatch = el("span", "swatch");
      swatch.style.background = theme.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(theme.name + " (" + theme.id + ")"));
      if (theme.threshold !== null) item.title = "labelled from a score of " + theme.threshold;
      legend.appendChild(item);
    });
    var select = $("f-theme");
    [["", "all sentences"], ["none", "no theme"]].concat(THEMES.map(function (t, k) { return [String(k), t.name + " (" + t.id + ")"]; }))
      .forEach(function (pair) { var o = el("option", null, pair[1]); o.value = pair[0]; select.appendChild(o); });
    var selection = $("x-selection");
    DATA.selections.forEach(function (name) { var o = el("option", null, name); o.value = name; selection.appendChild(o); });
    selection.value = DATA.selections.indexOf("uncertainty") >= 0 ? "uncertainty" : DATA.selections[0];
  }

  // -- overview: documents (or groups) x themes, drawn as it scrolls -----------------------------
  var rows = buildRows();
  var shown = rows.slice();
  var sortKey = null;
  var columns = "minmax(12em, 2.4fr) 7em repeat(" + T + ", minmax(7em, 1fr))";

  function buildRows() {
    if (DATA.shares) {
      return DATA.shares.rows.map(function (r, n) {
        var single = r[3].length === 1 ? r[3][0] : null;
        return { n: n, name: r[0], units: r[1], members: r[3], doc: single ? single[0] : -1, cells: r[2],
          share: function (k) { return r[2][3 * k]; } };
      });
    }
    return DOCS.map(function (doc, d) {
      return { n: d, name: doc[0], units: doc[3], members: [[d, -1]], doc: d, counts: doc[4],
        share: function (k) { return doc[3] ? doc[4][k] / doc[3] : 0; } };
    });
  }
  function drawOverviewHead() {
    var head = $("ov-head");
    head.style.gridTemplateColumns = columns;
    var by = DATA.shares ? DATA.shares.by : "document";
    var titles = [by === "section" ? "section" : by, "sentences"].concat(THEMES.map(function (t) { return t.name; }));
    titles.forEach(function (text, c) {
      var cell = el("div", null, text);
      if (c >= 2) {
        var swatch = el("span", "swatch");
        swatch.style.background = THEMES[c - 2].color;
        cell.insertBefore(swatch, cell.firstChild);
        cell.title = THEMES[c - 2].id + ": click to sort by its share";
      }
      cell.addEventListener("click", function () { sortBy(c); });
      head.appendChild(cell);
    });
    if (DATA.shares) {
      $("ov-note").textContent = "Each cell: the " + DATA.shares.method + " share with its " +
        Math.round(DATA.shares.confidence * 100) + " % interval. Click a cell for the sentences behind it.";
    } else {
      $("ov-note").textContent = "Each cell: the share of the document's sentences with the theme. Click a cell for the sentences.";
    }
  }
  function sortBy(c) {
    sortKey = sortKey === c ? null : c;
    var cells = $("ov-head").children;
    for (var i = 0; i < cells.length; i++) cells[i].classList.toggle("sorted", i === sortKey);
    filterRows();
  }
  function filterRows() {
    var q = norm($("ov-filter").value.trim());
    shown = q ? rows.filter(function (r) { return norm(String(r.name)).indexOf(q) >= 0; }) : rows.slice();
    if (sortKey === 0) shown.sort(function (a, b) { return String(a.name).localeCompare(String(b.name), "zh"); });
    else if (sortKey === 1) shown.sort(function (a, b) { return b.units - a.units; });
    else if (sortKey !== null) shown.sort(function (a, b) { return b.share(sortKey - 2) - a.share(sortKey - 2); });
    $("ov-count").textContent = plural(shown.length, DATA.shares && DATA.shares.by !== "document" ? "group" : "document") +
      (shown.length < rows.length ? " of " + rows.length.toLocaleString("en") : "");
    $("ov-spacer").style.height = shown.length * ROW + "px";
    drawOverview();
  }
  function overviewCell(row, k) {
    var theme = THEMES[k];
    var share = row.share(k);
    var cell = el("div", "cell");
    var alpha = share > 0 ? 0.1 + 0.85 * Math.min(1, share) : 0;
    cell.style.background = alpha ? rgba(theme.color, alpha) : "#f6f8fa";
    if (alpha > 0.55) cell.style.color = "#fff";
    cell.appendChild(document.createTextNode(pct(share)));
    if (DATA.shares) {
      var low = row.cells[3 * k + 1], high = row.cells[3 * k + 2];
      var ci = el("span", "ci", "[" + Math.round(low * 100) + "–" + Math.round(high * 100) + "]");
      if (alpha > 0.55) ci.style.color = "#fff";
      cell.appendChild(ci);
      cell.title = theme.id + ": " + DATA.shares.method + " share " + share.toFixed(3) + " [" + low.toFixed(3) + ", " +
        high.toFixed(3) + "] of " + plural(row.units, "sentence");
    } else {
      cell.title = theme.id + ": " + row.counts[k] + " of " + plural(row.units, "sentence");
    }
    cell.dataset.theme = theme.id;
    clickable(cell, function () { openScope(row, String(k)); });
    return cell;
  }
  function drawOverview() {
    var body = $("ov-body");
    var height = body.clientHeight || 600;
    var first = Math.max(0, Math.floor(body.scrollTop / ROW) - 10);
    var last = Math.min(shown.length, Math.ceil((body.scrollTop + height) / ROW) + 10);
    var box = $("ov-rows");
    box.style.top = first * ROW + "px";
    var fragment = document.createDocumentFragment();
    for (var r = first; r < last; r++) {
      var row = shown[r];
      var line = el("div", "ov-row");
      line.style.gridTemplateColumns = columns;
      line.dataset.row = String(row.n);
      var name = el("div", "ov-name");
      var link = el("a", null, row.name);
      link.title = String(row.name) + (row.doc >= 0 && DOCS[row.doc][1] ? " — " + DOCS[row.doc][1] : "");
      clickable(link, (function (row) {
        return function () { if (row.doc >= 0 && row.members[0][1] < 0) location.hash = "#/doc/" + row.doc; else openScope(row, ""); };
      })(row));
      name.appendChild(link);
      line.appendChild(name);
      line.appendChild(el("div", "ov-n", row.units.toLocaleString("en")));
      for (var k = 0; k < T; k++) line.appendChild(overviewCell(row, k));
      fragment.appendChild(line);
    }
    box.replaceChildren(fragment);
  }
  var overviewFrame = 0;
  $("ov-body").addEventListener("scroll", function () {
    if (!overviewFrame) overviewFrame = requestAnimationFrame(function () { overviewFrame = 0; drawOverview(); });
  });
  window.addEventListener("resize", function () { if (state.view === "overview") drawOverview(); });
  $("ov-filter").addEventListener("input", filterRows);

  function openScope(row, theme) {
    state.scope = row;
    state.theme = theme;
    $("f-theme").value = theme;
    if (location.hash === "#/sentences") route(); else location.hash = "#/sentences";
  }

  // -- filters -------------------------------------------------------------------------------------
  function readFilters() {
    state.theme = $("f-theme").value;
    var lo = parseFloat($("f-lo").value), hi = parseFloat($("f-hi").value);
    state.lo = isNaN(lo) ? 0 : lo;
    state.hi = isNaN(hi) ? 1 : hi;
    state.q = norm($("f-search").value).split(/\s+/).filter(Boolean);
    state.marked = $("f-marked").checked;
    state.hide = $("d-hide").checked;
  }
  function matches(s, d, i) {
    var mask = s[MASK];
    if (state.theme === "none") { if (mask) return false; }
    else if (state.theme !== "" && !(mask >> +state.theme & 1)) return false;
    if (state.lo > 0 || state.hi < 1) {
      var scores = s[SCORES], lo = state.lo * 10000 - 1e-6, hi = state.hi * 10000 + 1e-6;
      if (state.theme !== "" && state.theme !== "none") {
        var v = scores[+state.theme];
        if (v < lo || v > hi) return false;
      } else {
        var any = false;
        for (var k = 0; k < T; k++) if (scores[k] >= lo && scores[k] <= hi) { any = true; break; }
        if (!any) return false;
      }
    }
    if (state.q.length) {
      if (s[NORM] === undefined) s[NORM] = s[TEXT].toLowerCase(); // the reader has normalised the text (NFKC-like)
      for (var q = 0; q < state.q.length; q++) if (s[NORM].indexOf(state.q[q]) < 0) return false;
    }
    if (state.marked && !marks.has(d + ":" + i)) return false;
    return true;
  }
  var filterTimer = 0;
  function onFilter() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () { readFilters(); redraw(); }, 120);
  }
  ["f-theme", "f-lo", "f-hi", "f-marked", "d-hide"].forEach(function (id) { $(id).addEventListener("change", onFilter); });
  $("f-search").addEventListener("input", onFilter);
  $("f-lo").addEventListener("input", onFilter);
  $("f-hi").addEventListener("input", onFilter);
  $("f-uncertain").addEventListener("click", function () {
    $("f-lo").value = "0.3"; $("f-hi").value = "0.7"; readFilters(); redraw();
  });
  $("f-clear").addEventListener("click", function () {
    $("f-theme").value = ""; $("f-lo").value = "0"; $("f-hi").value = "1"; $("f-search").value = "";
    $("f-marked").checked = false; readFilters(); redraw();
  });
  $("f-scope-clear").addEventListener("click", function () { state.scope = null; redraw(); });
  function redraw() {
    if (state.view === "sentences") drawSentences();
    else if (state.view === "doc") drawDocument(state.doc, -1);
  }
  function showScope() {
    var scope = $("f-scope");
    scope.hidden = !(state.scope && state.view === "sentences");
    if (state.scope) $("f-scope-text").textContent = "in " + state.scope.name;
  }

  // -- sentences across the documents --------------------------------------------------------------
  var listObserver = null, docObserver = null;
  function observe(target, more) {
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) more();
    }, { rootMargin: "600px" });
    observer.observe(target);
    return observer;
  }
  function highlighted(parent, text) {
    if (!state.q.length) { parent.appendChild(document.createTextNode(text)); return; }
    var lower = text.toLowerCase(), hits = [];
    state.q.forEach(function (q) {
      for (var at = lower.indexOf(q); at >= 0 && q.length; at = lower.indexOf(q, at + q.length)) hits.push([at, at + q.length]);
    });
    hits.sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    hits.forEach(function (h) {
      if (h[0] < pos) return;
      parent.appendChild(document.createTextNode(text.slice(pos, h[0])));
      parent.appendChild(el("mark", null, text.slice(h[0], h[1])));
      pos = h[1];
    });
    parent.appendChild(document.createTextNode(text.slice(pos)));
  }
  function chips(parent, s, d, i) {
    var labels = labelsOf(s[MASK]);
    if (!labels.length) parent.appendChild(el("span", "chip none", "no theme"));
    labels.forEach(function (k) {
      var chip = el("span", "chip", THEMES[k].name + " " + (s[SCORES][k] / 10000).toFixed(2));
      chip.style.background = THEMES[k].color;
      parent.appendChild(chip);
    });
    if (marks.has(d + ":" + i)) parent.appendChild(el("span", "chip mark", "marked wrong"));
  }
  function drawSentences() {
    showScope();
    if (listObserver) { listObserver.disconnect(); listObserver = null; }
    var list = $("s-list");
    list.replaceChildren();
    if (!loaded()) { $("f-count").textContent = "loading the sentences…"; return; }
    var members = state.scope ? state.scope.members : DOCS.map(function (_, d) { return [d, -1]; });
    var found = [], total = 0;
    members.forEach(function (m) {
      var ss = sentencesOf(m[0]);
      for (var i = 0; i < ss.length; i++) {
        if (m[1] >= 0 && ss[i][SEC] !== m[1]) continue;
        total++;
        if (matches(ss[i], m[0], i)) found.push(m[0], i);
      }
    });
    var count = found.length / 2;
    $("f-count").textContent = plural(count, "sentence") + (count < total ? " of " + total.toLocaleString("en") : "");
    $("f-count").dataset.count = String(count);
    var next = 0;
    function more() {
      var fragment = document.createDocumentFragment();
      var stop = Math.min(found.length, next + 2 * CHUNK);
      for (; next < stop; next += 2) fragment.appendChild(sentenceItem(found[next], found[next + 1]));
      list.appendChild(fragment);
      $("s-more").textContent = next < found.length ? plural((found.length - next) / 2, "more sentence") + " below" : "";
      if (next >= found.length && listObserver) { listObserver.disconnect(); listObserver = null; }
    }
    more();
    if (next < found.length) listObserver = observe($("s-more"), more);
  }
  function sentenceItem(d, i) {
    var s = sentencesOf(d)[i];
    var item = el("li", "s-item");
    item.dataset.doc = String(d);
    item.dataset.sentence = String(i);
    var where = el("div", "s-where");
    var link = el("a", null, DOCS[d][0]);
    link.title = "Open the document at this sentence";
    link.addEventListener("click", function (event) { event.stopPropagation(); location.hash = "#/doc/" + d + "/" + i; });
    where.appendChild(link);
    where.appendChild(document.createTextNode(" · " + (DOCS[d][2][s[SEC]] || "") + " · " + unitId(d, s)));
    item.appendChild(where);
    var text = el("div", "s-text");
    highlighted(text, s[TEXT]);
    item.appendChild(text);
    var tags = el("div");
    chips(tags, s, d, i);
    item.appendChild(tags);
    item.title = scoreText(s);
    clickable(item, function () {
      var old = document.querySelector(".s-item.selected");
      if (old) old.classList.remove("selected");
      item.classList.add("selected");
      showDetail(d, i);
    });
    return item;
  }
  function scoreText(s) {
    return THEMES.map(function (t, k) { return t.id + " " + (s[SCORES][k] / 10000).toFixed(4); }).join("\n");
  }
  function unitId(d, s) { return DOCS[d][0] + "-s" + pad(s[SEC], 2) + "-" + pad(s[IDX], 3); }

  // -- one document ----------------------------------------------------------------------------------
  function sentenceStyle(span, s) {
    var labels = labelsOf(s[MASK]);
    if (labels.length === 1) span.style.background = rgba(THEMES[labels[0]].color, 0.22);
    else if (labels.length > 1) {
      var stops = labels.map(function (k, n) {
        var c = rgba(THEMES[k].color, 0.28);
        return c + " " + (100 * n / labels.length).toFixed(1) + "% " + (100 * (n + 1) / labels.length).toFixed(1) + "%";
      });
      span.style.background = "linear-gradient(180deg, " + stops.join(", ") + ")";
    }
  }
  function drawDocument(d, focus) {
    if (docObserver) { docObserver.disconnect(); docObserver = null; }
    var body = $("d-body");
    body.replaceChildren();
    var doc = DOCS[d];
    $("d-title").textContent = doc[0];
    $("d-meta").textContent = [doc[1], plural(doc[3], "sentence"), "document " + (d + 1) + " of " + DOCS.length].filter(Boolean).join(" · ");
    $("d-prev").disabled = d <= 0;
    $("d-next").disabled = d >= DOCS.length - 1;
    if (!loaded()) { $("f-count").textContent = "loading the sentences…"; return; }
    var ss = sentencesOf(d);
    var hits = 0;
    var match = ss.map(function (s, i) { var ok = matches(s, d, i); if (ok) hits++; return ok; });
    $("f-count").textContent = hits + " of " + plural(ss.length, "sentence") + " match";
    $("f-count").dataset.count = String(hits);
    var next = 0, section = -1, para = null, paraKey = null;
    function more(until) {
      var stop = Math.max(Math.min(ss.length, next + 4 * CHUNK), Math.min(ss.length, until + 1));
      for (; next < stop; next++) {
        var s = ss[next];
        if (s[SEC] !== section) {
          section = s[SEC];
          body.appendChild(el("h3", null, doc[2][section] || "—"));
          paraKey = null;
        }
        if (paraKey !== s[SEC] + ":" + s[PARA]) {
          paraKey = s[SEC] + ":" + s[PARA];
          para = el("p");
          body.appendChild(para);
        }
        var span = el("span", "sent", s[TEXT]);
        span.dataset.sentence = String(next);
        sentenceStyle(span, s);
        span.title = scoreText(s);
        if (!match[next]) span.classList.add(state.hide ? "hidden" : "dim");
        if (marks.has(d + ":" + next)) span.classList.add("marked");
        clickable(span, (function (i) { return function () { showDetail(d, i); }; })(next));
        para.appendChild(span);
      }
      $("d-more").textContent = next < ss.length ? plural(ss.length - next, "more sentence") + " below" : "";
      if (next >= ss.length && docObserver) { docObserver.disconnect(); docObserver = null; }
    }
    more(focus);
    if (next < ss.length) docObserver = observe($("d-more"), function () { more(-1); });
    if (focus >= 0) {
      var target = body.querySelector('[data-sentence="' + focus + '"]');
      if (target) { target.scrollIntoView({ block: "center" }); showDetail(d, focus); }
    }
  }
  $("d-prev").addEventListener("click", function () { if (state.doc > 0) location.hash = "#/doc/" + (state.doc - 1); });
  $("d-next").addEventListener("click", function () { if (state.doc < DOCS.length - 1) location.hash = "#/doc/" + (state.doc + 1); });

  // -- one sentence: scores, explanation, check ----------------------------------------------------------
  var current = null;
  function showDetail(d, i) {
    var s = sentencesOf(d)[i];
    current = [d, i];
    var old = document.querySelectorAll(".sent.selected");
    for (var n = 0; n < old.length; n++) old[n].classList.remove("selected");
    if (state.view === "doc") {
      var span = $("d-body").querySelector('[data-sentence="' + i + '"]');
      if (span) span.classList.add("selected");
    }
    $("detail").hidden = false;
    document.body.classList.add("with-detail");
    $("detail-where").textContent = (DOCS[d][2][s[SEC]] || "—") + " · " + unitId(d, s);
    $("detail-text").textContent = s[TEXT];
    var scores = $("detail-scores");
    scores.replaceChildren();
    THEMES.forEach(function (theme, k) {
      var line = el("div", "score");
      var name = el("span", null, theme.name);
      if (s[MASK] >> k & 1) name.style.fontWeight = "700";
      line.appendChild(name);
      var bar = el("div", "bar");
      var fill = el("span");
      fill.style.width = (s[SCORES][k] / 100).toFixed(2) + "%";
      fill.style.background = theme.color;
      bar.appendChild(fill);
      if (theme.threshold !== null) {
        var tick = el("i");
        tick.style.left = (theme.threshold * 100).toFixed(2) + "%";
        tick.title = "threshold " + theme.threshold;
        bar.appendChild(tick);
      }
      line.appendChild(bar);
      line.appendChild(el("span", null, (s[SCORES][k] / 10000).toFixed(4)));
      scores.appendChild(line);
    });
    var why = $("detail-explain");
    why.replaceChildren();
    if (!DATA.explained) why.appendChild(el("p", "summary", "This page was made without explanations."));
    else if (!s[MASK]) why.appendChild(el("p", "summary", "No theme predicted."));
    else {
      // [-1 - theme, term, weight x 100, term, weight, ..., -1 - next theme, ...]
      var words = termList(), why_ = s[WHY], block = null, n = 0;
      while (n < why_.length) {
        if (why_[n] < 0) {
          var k = -1 - why_[n];
          block = el("div", "explain");
          var chip = el("span", "chip", THEMES[k].name);
          chip.style.background = THEMES[k].color;
          block.appendChild(chip);
          why.appendChild(block);
          n += 1;
        } else {
          var term = el("span", "term", words[why_[n]]);
          term.appendChild(el("b", null, "+" + (why_[n + 1] / 100).toFixed(2)));
          block.appendChild(term);
          n += 2;
        }
      }
    }
    var key = d + ":" + i;
    $("detail-wrong").checked = marks.has(key);
    drawCorrect(key, s);
  }
  function drawCorrect(key, s) {
    var box = $("detail-correct");
    box.replaceChildren();
    if (!marks.has(key)) return;
    var chosen = marks.get(key);
    THEMES.forEach(function (theme, k) {
      var label = el("label");
      var box2 = el("input");
      box2.type = "checkbox";
      box2.value = String(k);
      box2.checked = chosen.indexOf(k) >= 0;
      box2.addEventListener("change", function () {
        var now = marks.get(key).filter(function (x) { return x !== k; });
        if (box2.checked) now.push(k);
        now.sort();
        marks.set(key, now);
        saveMarks();
      });
      label.appendChild(box2);
      label.appendChild(document.createTextNode(" " + theme.name + " (" + theme.id + ")"));
      box.appendChild(label);
    });
  }
  $("detail-wrong").addEventListener("change", function () {
    if (!current) return;
    var key = current[0] + ":" + current[1];
    var s = sentencesOf(current[0])[current[1]];
    if ($("detail-wrong").checked) marks.set(key, labelsOf(s[MASK]));
    else marks.delete(key);
    drawCorrect(key, s);
    saveMarks();
    var span = state.view === "doc" && $("d-body").querySelector('[data-sentence="' + current[1] + '"]');
    if (span) span.classList.toggle("marked", marks.has(key));
  });
  function hideDetail() {
    $("detail").hidden = true;
    document.body.classList.remove("with-detail");
    current = null;
  }
  $("detail-close").addEventListener("click", hideDetail);

  // -- marks: kept in this browser, exported as a batch ---------------------------------------------------
  var storeKey = "cppcc_nlp-report:" + DATA.id;
  function saveMarks() {
    $("marked-count").textContent = String(marks.size);
    try { localStorage.setItem(storeKey, JSON.stringify(Array.from(marks.entries()))); } catch (e) { /* storage may be off */ }
  }
  function loadMarks() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "[]");
      saved.forEach(function (entry) {
        var parts = String(entry[0]).split(":"), d = +parts[0], i = +parts[1];
        if (d >= 0 && d < DOCS.length && i >= 0 && i < DOCS[d][3] && Array.isArray(entry[1])) {
          marks.set(d + ":" + i, entry[1].filter(function (k) { return k >= 0 && k < T; }));
        }
      });
    } catch (e) { /* nothing saved, or storage is off */ }
    $("marked-count").textContent = String(marks.size);
  }
  function batchLines() {
    var source = $("x-source").value.trim(), annotator = $("x-annotator").value.trim(), selection = $("x-selection").value;
    var keys = Array.from(marks.keys()).map(function (key) { return key.split(":").map(Number); });
    keys.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    return keys.map(function (pair) {
      var d = pair[0], i = pair[1], s = sentencesOf(d)[i];
      var base = unitId(d, s);
      var suggested = {};
      THEMES.forEach(function (t, k) { suggested[t.id] = s[SCORES][k] / 10000; });
      var line = {
        id: source ? source + "/" + base : base,
        source: source,
        doc: DOCS[d][0],
        span: [s[START], s[END]],
        section: DOCS[d][2][s[SEC]] || "",
        text: s[TEXT],
        model_labels: labelsOf(s[MASK]).map(function (k) { return THEMES[k].id; }),
        suggested: suggested,
        labels: marks.get(d + ":" + i).map(function (k) { return THEMES[k].id; }).sort(),
        selection: selection
      };
      if (annotator) line.annotator = annotator;
      return JSON.stringify(line);
    });
  }
  $("export").addEventListener("click", function () {
    var note = [];
    if (!marks.size) note.push("No sentence is marked yet: open a sentence and tick “The labels are wrong”.");
    else note.push(plural(marks.size, "sentence") + " marked.");
    $("x-note").textContent = note.join(" ");
    if (!loaded()) { $("x-note").textContent = "The sentences are still loading."; }
    var dialog = $("export-dialog");
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  });
  $("x-download").addEventListener("click", function () {
    if (!loaded()) return;
    var source = $("x-source").value.trim();
    var lines = batchLines();
    var blob = new Blob([lines.map(function (l) { return l + "\n"; }).join("")], { type: "application/x-ndjson" });
    var link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = "marked-" + (source || "report") + ".jsonl";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 2000);
    $("x-note").textContent = plural(lines.length, "line") + " written. Merge with: cppcc-nlp annotate merge " + link.download +
      (source ? "" : " (no source named: merge resolves ids as SOURCE/doc-sNN-NNN)");
  });

  // -- views ---------------------------------------------------------------------------------------------
  function show(view) {
    state.view = view;
    $("view-overview").hidden = view !== "overview";
    $("view-sentences").hidden = view !== "sentences";
    $("view-doc").hidden = view !== "doc";
    $("filters").hidden = view === "overview";
    $("nav-overview").classList.toggle("active", view === "overview");
    $("nav-sentences").classList.toggle("active", view === "sentences");
    hideDetail();
  }
  function route() {
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    if (parts[0] === "doc" && DOCS.length) {
      var d = Math.min(Math.max(parseInt(parts[1], 10) || 0, 0), DOCS.length - 1);
      var focus = parts.length > 2 ? parseInt(parts[2], 10) : -1;
      state.doc = d;
      current = null;
      show("doc");
      state.scope = null;
      window.scrollTo(0, 0);
      drawDocument(d, isNaN(focus) ? -1 : focus);
    } else if (parts[0] === "sentences") {
      show("sentences");
      readFilters();
      drawSentences();
    } else {
      show("overview");
      drawOverview();
    }
  }
  window.addEventListener("hashchange", route);

  drawHeader();
  drawOverviewHead();
  filterRows();
  $("x-source").value = DATA.source || "";
  show("overview");
  requestAnimationFrame(function () {
    setTimeout(function () {
      hook.overviewDrawnAt = performance.now();
      document.documentElement.dataset.overview = "drawn";
    }, 0);
  });
  function start() {
    loadMarks();
    hook.ready = true;
    hook.count = function () { return Number($("f-count").dataset.count || 0); };
    hook.batch = batchLines;
    route();
    document.documentElement.dataset.ready = "true";
  }
  if (loaded()) start(); else document.addEventListener("DOMContentLoaded", start);
})();
