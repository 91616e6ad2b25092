// rnnviz unrolled view (issue 11): the network unrolled in time as the textbooks draw it, one
// column per step (x_t -> cell -> h_t -> y_t, h_{t-1} -> h_t along each row, stacked layers as
// stacked rows), and the inside of one cell for the chosen unit at the current step.
// The data contract is documented in rnnviz/figures/unrolled.py.
//
// Rules this file keeps:
// - The browser only INDEXES the arrays Python sent (no sums, no activations): every number shown
//   comes from the server. Formatting (4 decimals, a real minus sign) is the only transformation.
// - The step is the step player's: it announces {step, unit, T, H, speed} on `window` as the
//   CustomEvent "rnnviz:step" whenever it draws a step; this view listens (no server round trip),
//   asks for an announcement when it starts ("rnnviz:ask"), and moves the player with
//   "rnnviz:goto" {step, unit?} (the player then moves, reports to Python, the URL follows).
// - Python hears only a row pick (setTriggerValue "pick" {layer, direction}): the page then views
//   that layer and direction everywhere.
// - State lives in a module-level WeakMap keyed by parentElement (Streamlit re-invokes this
//   function when `data` changes and runs the returned cleanup before each re-invocation).

const LIVE_MS = 300; // the screen reader hears where stepping stopped, not every frame
const OFF = "off";

export default function (args) {
  const { data, parentElement: root, setTriggerValue } = args;
  let s = STATES.get(root);
  try {
    if (!data || data.v !== 1 || data.kind !== "unrolled" || typeof data.sig !== "string") {
      throw new Error("the unrolled view received no valid data");
    }
    if (!s || s.sig !== data.sig) {
      const keep = s ? s.snapshot() : null;
      s?.destroy();
      s = build(root, data, keep);
      STATES.set(root, s);
    } else {
      s.update(data); // same model: other internals (the chosen unit's), or another viewed row
    }
    s.send = setTriggerValue;
    s.calls += 1;
    s.el.dataset.calls = s.calls; // test hook: how often Streamlit invoked us
  } catch (err) {
    showError(root, err, "ru", "unrolled view");
    return undefined;
  }
  return cleanupWhenGone(root, s);
}

// ---------------------------------------------------------------- helpers

const pct = (p) => (Number.isFinite(p) ? `${(p * 100).toFixed(1)}%` : fmt4(p));
const num = (t) => (t < 0 ? `−${-t}` : String(t));
/** A label template at step t: "#" is the step index ("h_{#}" -> "h_{3}"). */
const at = (tpl, t) => tpl.split("#").join(num(t));
/** Plain text of a label (tooltips, captions, aria): "h_{3}" -> "h_3". */
const plain = (text) => text.replace(/_\{([^}]*)\}/g, "_$1");
/** SVG text with "_{...}" subscripts as <tspan baseline-shift="sub">, from text nodes (never markup). */
function richSvg(node, text) {
  if (node.__txt === text) return node;
  node.__txt = text;
  return subscripted(node, text, /_\{([^}]*)\}/g,
    (n, sub) => { svgEl("tspan", { "baseline-shift": "sub", class: "sub" }, n).textContent = sub; });
}
/** The same for HTML (<sub>). */
const richHtml = (node, text) => subscripted(node, text, /_\{([^}]*)\}/g, (n, sub) => el("sub", null, n, sub));
function setAttr(node, name, value) {
  const key = `__${name}`;
  if (node[key] !== value) { node.setAttribute(name, value); node[key] = value; }
}
/** 256 CSS colours from [[pos, "#rrggbb"], ...] stops. */
const colorTable = (stops) => colorRamp(stops).map(([r, g, b]) => `rgb(${r},${g},${b})`);
/** An arrow from (x1, y1) to (x2, y2): the line and a filled head, one path. */
function arrowPath(x1, y1, x2, y2, head = 7) {
  const a = Math.atan2(y2 - y1, x2 - x1), w = head * 0.55;
  const bx = x2 - head * Math.cos(a), by = y2 - head * Math.sin(a);
  const px = -Math.sin(a) * w, py = Math.cos(a) * w;
  return `M${x1},${y1}L${bx},${by}M${x2},${y2}L${bx + px},${by + py}L${bx - px},${by - py}Z`;
}
/** A polyline and the head at its end, as two paths: [line (not filled), head (filled)]. */
function wirePaths(pts, head = 8) {
  let line = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length; i++) line += `L${pts[i][0]},${pts[i][1]}`;
  const [x1, y1] = pts[pts.length - 2], [x2, y2] = pts[pts.length - 1];
  const a = Math.atan2(y2 - y1, x2 - x1), w = head * 0.55;
  const bx = x2 - head * Math.cos(a), by = y2 - head * Math.sin(a);
  const px = -Math.sin(a) * w, py = Math.cos(a) * w;
  return [line, `M${x2},${y2}L${bx + px},${by + py}L${bx - px},${by - py}Z`];
}

// ---------------------------------------------------------------- the view

function build(root, d, keep) {
  const { T, L, D, H, R, U, cell } = d;
  const tx = d.texts, sz = d.sizes, colors = d.colors;
  const rows = d.rows, X = d.x, OUT = d.out;
  const A = {
    hs: column(d, "hs"), lo: d.binned ? column(d, "hs_lo") : null, hi: d.binned ? column(d, "hs_hi") : null,
    xs: X.U ? column(d, "xs") : null, xlo: X.binned ? column(d, "xs_lo") : null, xhi: X.binned ? column(d, "xs_hi") : null,
    ps: OUT.strip ? column(d, "ps") : null, top: OUT.O ? column(d, "top") : null, topP: OUT.O ? column(d, "top_p") : null,
  };
  if (A.hs.length !== R * T * U) throw new Error("hs does not have R*T*U values");
  const inner = { meta: d.inner_meta, vals: column(d, "inner") };
  const lut = colorTable(d.scale.stops);
  const { zmin, zmax } = d.scale;
  const colorOf = (v, lo = zmin, hi = zmax) => (Number.isNaN(v) ? "#888888"
    : lut[Math.round(clamp((v - lo) / (hi - lo || 1), 0, 1) * 255)]);
  const divLut = colorTable([[0, "#2166ac"], [0.5, "#f7f7f7"], [1, "#b2182b"]]);
  const xColor = (v) => (Number.isNaN(v) ? "#888888"
    : divLut[Math.round(clamp((v - X.range[0]) / (X.range[1] - X.range[0] || 1), 0, 1) * 255)]);
  const topFwd = (L - 1) * D, topRev = D === 2 ? topFwd + 1 : -1;

  // ---- DOM
  const ru = el("div", D === 2 ? "ru bidi" : "ru");
  ru.tabIndex = 0;
  ru.setAttribute("role", "group");
  ru.setAttribute("aria-label", "Unrolled network, one column per time step. The step player's keys move the step "
    + "(left and right arrows, Home, End); the caption below the diagram says what the current column holds.");
  ru.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Home End");
  const px = (k) => `${Number(sz[k])}px`;
  for (const k of ["text", "small", "title"]) ru.style.setProperty(`--ru-${k}`, px(k));
  for (const [k, v] of Object.entries({ acc: "accent", mut: "muted", pos: "pos", neg: "neg", gate: "gate", fwd: "fwd", rev: "rev" })) {
    ru.style.setProperty(`--${k}`, colors[v]);
  }
  const head = el("div", "uhead", ru);
  el("div", "ttl", head, tx.title);
  const playB = el("button", "play", head, tx.play);
  playB.setAttribute("aria-pressed", "false");
  playB.title = D === 2 ? "Animate the pass: the forward direction left to right, then the reverse direction right to left"
    : "Animate the pass: each layer reads the sequence left to right";
  if (T < 1) playB.disabled = true;
  const where = el("span", "where", head);
  el("div", "hint", ru, d.binned ? `${tx.hint} ${tx.bins}` : tx.hint);
  const track = el("div", "track", ru);
  track.setAttribute("aria-hidden", "true");
  const trackWin = el("div", "twin", track), trackNow = el("div", "tnow", track);
  const netBox = el("div", "net", ru);
  const svg = svgEl("svg", { role: "img", "aria-label": `Unrolled network diagram: ${T} time steps, ${L} layer(s), ${D} direction(s)` }, netBox);
  const tip = el("div", "tip", netBox);
  const capt = el("div", "capt", ru);
  const live = el("div", "sr", ru);
  live.setAttribute("aria-live", "polite");
  live.setAttribute("role", "status");
  const innerBox = el("div", "inner", ru);
  const innerHead = el("div", "ihead", innerBox);
  const innerTitle = el("span", "ititle", innerHead);
  el("span", "upd", innerHead, "updating…");
  const innerSvg = svgEl("svg", { role: "img" }, innerBox);
  const innerCap = el("div", "icap", innerBox);
  root.appendChild(ru);

  // ---- state
  const s = {
    sig: d.sig, T, H, step: 0, unit: 0, row: clamp(d.view_row | 0, 0, R - 1), speed: clamp(Number(d.speed) || 2, 0.5, 10),
    send: null, el: ru, calls: keep ? keep.calls : 0, heard: false, anim: null, viewRow: d.view_row | 0,
  };
  if (keep) {
    s.step = clamp(keep.step, 0, T - 1);
    s.unit = clamp(keep.unit, 0, H - 1);
    if (keep.row < R) s.row = keep.row;
  }

  // ---------------------------------------------------------------- layout (per width)
  let G = null; // the geometry and the elements of the visible columns
  function layout() {
    const avail = Math.max(netBox.clientWidth || 0, 320);
    const lw = Number(sz.label_w);
    const room = avail - lw - 10;
    let colW = clamp(room / T, Number(sz.col_min), Number(sz.col_max));
    const W = Math.max(1, Math.min(T, Math.floor(room / colW)));
    if (W < T) colW = room / W;
    const arrowLen = clamp(colW * 0.26, 18, 36);
    const nodeW = colW - arrowLen;
    const nodeH = Number(sz.node_h), gap = Number(sz.gap), stripH = Number(sz.strip_h);
    const small = Number(sz.small);
    const subGap = 6;
    svg.textContent = "";
    // lanes from the top: step index, y, output (bidirectional), layers (top first), x, input label
    let y = 2;
    const idxY = y + small;
    y += small * 1.7;
    const lanes = {};
    if (OUT.O) { lanes.y = { y0: y, h: nodeH }; y += nodeH + gap; }
    if (D === 2) { lanes.cat = { y0: y, h: nodeH }; y += nodeH + gap; }
    lanes.layers = [];
    for (let l = L - 1; l >= 0; l--) {
      const h = D * nodeH + (D - 1) * subGap;
      lanes.layers[l] = { y0: y, h };
      y += h + gap;
    }
    lanes.x = { y0: y, h: nodeH };
    y += nodeH;
    const footY = y + small * 1.35;
    y += small * 1.9;
    const totalH = Math.ceil(y + 2);
    const totalW = Math.ceil(lw + W * colW + arrowLen / 2 + 6);
    svg.setAttribute("width", totalW);
    svg.setAttribute("height", totalH);
    svg.setAttribute("viewBox", `0 0 ${totalW} ${totalH}`);
    const rowY = (r) => { // top of row r's node
      const l = Math.floor(r / D), dd = r % D;
      return lanes.layers[l].y0 + dd * (nodeH + subGap); // forward on top, reverse below
    };

    // ---- row labels (left margin)
    const lab = svgEl("g", { class: "rlab" }, svg);
    const labelAt = (yc, lines) => {
      const t = svgEl("text", { x: lw - 12, y: yc - ((lines.length - 1) * (small + 3)) / 2 + small * 0.35, "text-anchor": "end" }, lab);
      lines.forEach((line, i) => {
        const ts = svgEl("tspan", { x: lw - 12, dy: i ? small + 3 : 0, class: i ? "l2" : "l1" }, t);
        richSvg(ts, line);
      });
      return t;
    };
    if (lanes.y) labelAt(lanes.y.y0 + nodeH / 2, [`${at(OUT.sym, "t")} = softmax`, `${OUT.w} ↑`]);
    if (lanes.cat) labelAt(lanes.cat.y0 + nodeH / 2, ["output[t]", "= [fwd ; rev]"]);
    for (let r = 0; r < R; r++) {
      const row = rows[r];
      const first = D === 2 ? `${row.reverse ? "←" : "→"} ${L > 1 ? `layer ${row.layer} ` : ""}${row.reverse ? "reverse" : "forward"}`
        : row.name;
      labelAt(rowY(r) + nodeH / 2, [first, `${row.w_hh} ${row.reverse ? "←" : "→"}`]);
    }
    labelAt(lanes.x.y0 + nodeH / 2, [`${at(X.sym, "t")} (input)`, `↑ ${rows[0].w_ih}`]);

    // ---- columns
    const slots = [];
    // a strip: one rect per cell; a binned strip also has its bins' max (top third) and min (bottom third)
    const cellsOf = (g, x0, y0, w, n, what, extra, bands = false) => {
      const cw = w / Math.max(n, 1), cwDrawn = Math.max(cw - (cw > 4 ? 0.6 : 0), 0.5);
      const out = [];
      if (bands) { out.hi = []; out.lo = []; }
      for (let u = 0; u < n; u++) {
        const a = { class: "c", x: x0 + u * cw, width: cwDrawn, "data-what": what, "data-u": u, ...extra };
        out.push(svgEl("rect", { ...a, y: y0, height: stripH }, g));
        if (bands) {
          out.hi.push(svgEl("rect", { ...a, class: "c band", y: y0, height: stripH / 3 }, g));
          out.lo.push(svgEl("rect", { ...a, class: "c band", y: y0 + (2 * stripH) / 3, height: stripH / 3 }, g));
        }
      }
      return out;
    };
    const node = (g, x0, y0, w, h, what, extra, n, bands = false) => {
      const box = svgEl("g", { class: `node ${what}`, "data-what": what, ...extra }, g);
      const rect = svgEl("rect", { class: "nb", x: x0, y: y0, width: w, height: h, rx: 6, "data-what": what, ...extra }, box);
      const label = svgEl("text", { class: "nl", x: x0 + w / 2, y: y0 + small + 2, "text-anchor": "middle", "data-what": what, ...extra }, box);
      const cells = n ? cellsOf(box, x0 + 5, y0 + h - stripH - 5, w - 10, n, what, extra, bands) : [];
      return { box, rect, label, cells };
    };
    // W column slots, a ring: the slot of step t is slots[t % W], moved into place by a transform,
    // so a window that shifts by one step repaints one column, not W
    for (let k = 0; k < W; k++) {
      const cx = lw + 0.5 * colW, x0 = cx - nodeW / 2;
      const g = svgEl("g", { class: "col" }, svg);
      const bg = svgEl("rect", { class: "cbg", x: lw + 2, y: 1, width: colW - 4, height: totalH - 2, rx: 8 }, g);
      const idx = svgEl("text", { class: "idx", x: cx, y: idxY, "text-anchor": "middle" }, g);
      const foot = svgEl("text", { class: "foot", x: cx, y: footY, "text-anchor": "middle" }, g);
      const S = { g, bg, idx, foot, t: -1, key: "", rows: [], harrows: [] };
      // vertical arrows: x -> layer 0 -> ... -> (output) -> y
      const vl = (yFrom, yTo) => svgEl("path", { class: "va", d: arrowPath(cx, yFrom, cx, yTo) }, g);
      vl(lanes.x.y0 - 1, lanes.layers[0].y0 + lanes.layers[0].h + 2);
      for (let l = 1; l < L; l++) vl(lanes.layers[l - 1].y0 - 1, lanes.layers[l].y0 + lanes.layers[l].h + 2);
      const topLane = lanes.layers[L - 1];
      if (lanes.cat) vl(topLane.y0 - 1, lanes.cat.y0 + nodeH + 2);
      if (lanes.y) vl((lanes.cat || topLane).y0 - 1, lanes.y.y0 + nodeH + 2);
      // pairs of a bidirectional layer: a frame says "both cells read what comes from below"
      if (D === 2) {
        for (let l = 0; l < L; l++) {
          svgEl("rect", { class: "pair", x: x0 - 3, y: lanes.layers[l].y0 - 3, width: nodeW + 6, height: lanes.layers[l].h + 6, rx: 8 }, g);
        }
      }
      for (let r = 0; r < R; r++) {
        const y0 = rowY(r), rev = rows[r].reverse, my = y0 + nodeH / 2;
        // h_{t-1} -> h_t arrives from the left (forward) or h_{t+1} -> h_t from the right (reverse)
        const ha = [];
        const lstm = cell === "lstm";
        const ys = lstm ? [my - 6, my + 6] : [my];
        for (const yy of ys) {
          const dpath = rev ? arrowPath(x0 + nodeW + arrowLen - 2, yy, x0 + nodeW + 1, yy) : arrowPath(x0 - arrowLen + 2, yy, x0 - 1, yy);
          ha.push(svgEl("path", { class: `ha ${rev ? "rev" : "fwd"}${lstm && yy < my ? " cst" : ""}`, d: dpath }, g));
        }
        S.harrows.push(ha);
        S.rows.push(node(g, x0, y0, nodeW, nodeH, "h", { "data-r": r }, U, d.binned));
      }
      S.x = node(g, x0, lanes.x.y0, nodeW, nodeH, "x", {}, X.U, X.binned);
      if (!X.U) { // too many tokens for a strip: the one-hot vector is said in words
        svgEl("text", { class: "nl muted", x: cx, y: lanes.x.y0 + nodeH - 9, "text-anchor": "middle", "data-what": "x" }, S.x.box)
          .textContent = "one-hot";
      }
      if (lanes.cat) {
        const box = svgEl("g", { class: "node cat", "data-what": "cat" }, g);
        const y0 = lanes.cat.y0;
        const rect = svgEl("rect", { class: "nb", x: x0, y: y0, width: nodeW, height: nodeH, rx: 6, "data-what": "cat" }, box);
        const label = svgEl("text", { class: "nl", x: x0 + nodeW / 2, y: y0 + small + 2, "text-anchor": "middle", "data-what": "cat" }, box);
        const half = (nodeW - 10) / 2;
        const f = cellsOf(box, x0 + 5, y0 + nodeH - stripH - 5, half - 1, U, "cat", { "data-half": 0 }, d.binned);
        const rv = cellsOf(box, x0 + 5 + half + 1, y0 + nodeH - stripH - 5, half - 1, U, "cat", { "data-half": 1 }, d.binned);
        const fr = svgEl("rect", { class: "half fwd", x: x0 + 4, y: y0 + nodeH - stripH - 6, width: half, height: stripH + 2, "data-half": 0, "data-what": "cat" }, box);
        const rr = svgEl("rect", { class: "half rev", x: x0 + 5 + half, y: y0 + nodeH - stripH - 6, width: half, height: stripH + 2, "data-half": 1, "data-what": "cat" }, box);
        S.cat = { box, rect, label, cells: [f, rv], frames: [fr, rr] };
      }
      if (lanes.y) S.y = node(g, x0, lanes.y.y0, nodeW, nodeH, "y", {}, OUT.strip ? OUT.O : 0);
      slots.push(S);
    }
    // the chosen unit inside the selected row's node of the current column
    const unitMark = svgEl("rect", { class: "umark", width: 1, height: stripH + 2, rx: 1 }, svg);
    G = { W, colW, lw, nodeW, nodeH, stripH, slots, unitMark, totalW, rowY, start: -1 };
  }

  // ---------------------------------------------------------------- reading the arrays
  const hsAt = (r, t, u) => A.hs[(r * T + t) * U + u];
  const binOf = (j) => { // the strip cell that holds unit j
    if (!d.binned) return j;
    const e = d.edges;
    let k = 0;
    while (k < U - 1 && j >= e[k + 1]) k++;
    return k;
  };
  const innerGet = (r, t, j, name) => {
    const m = inner.meta, slots = m.slots[r];
    const k = slots.indexOf(name);
    if (k < 0) return undefined;
    const S = slots.length;
    if (m.mode === "all") return inner.vals[m.offsets[r] + (t * H + j) * S + k];
    if (m.unit !== j) return null; // another unit's numbers are one round trip away
    return inner.vals[m.offsets[r] + t * S + k];
  };
  const rowRange = (r, t) => { // smallest and largest unit of a node (for words)
    let lo = Infinity, hi = -Infinity;
    for (let u = 0; u < U; u++) {
      const a = d.binned ? A.lo[(r * T + t) * U + u] : hsAt(r, t, u), b = d.binned ? A.hi[(r * T + t) * U + u] : a;
      if (a < lo) lo = a;
      if (b > hi) hi = b;
    }
    return [lo, hi];
  };

  // ---------------------------------------------------------------- the animation of the pass
  // phases: every layer in turn, its forward direction left -> right, then (bidirectional) its
  // reverse direction right -> left; the last phase is the output (the concatenation).
  const order = new Int32Array(R * T);
  const phases = [];
  for (let l = 0; l < L; l++) {
    for (let dd = 0; dd < D; dd++) {
      const r = l * D + dd;
      for (let i = 0; i < T; i++) {
        const t = dd ? T - 1 - i : i;
        order[r * T + t] = phases.length;
        phases.push([r, t]);
      }
    }
  }
  const FINAL = phases.length;
  const done = (r, t) => !s.anim || order[r * T + t] <= s.anim.i;
  const outDone = () => !s.anim || s.anim.i >= FINAL;
  const animKey = (t) => { // what of column t the animation has computed so far
    if (!s.anim) return "all";
    let key = "";
    for (let r = 0; r < R; r++) key += done(r, t) ? "1" : "0";
    return key + (outDone() ? "1" : "0");
  };

  // ---------------------------------------------------------------- drawing a step
  const shown = () => (s.anim && s.anim.i < FINAL ? phases[s.anim.i][1] : s.step); // the column in focus
  const shownRow = () => (s.anim && s.anim.i < FINAL ? phases[s.anim.i][0] : s.row);
  function windowStart(t) {
    if (G.W >= T) return 0;
    return clamp(t - Math.floor(G.W / 2), 0, T - G.W);
  }
  function paintState(cells, r, t, on) {
    for (let u = 0; u < U; u++) {
      const i = (r * T + t) * U + u;
      setAttr(cells[u], "fill", on ? colorOf(A.hs[i]) : "none");
      if (cells.hi) {
        setAttr(cells.hi[u], "fill", on ? colorOf(A.hi[i]) : "none");
        setAttr(cells.lo[u], "fill", on ? colorOf(A.lo[i]) : "none");
      }
    }
  }
  function drawSlot(S, t) {
    const key = animKey(t);
    if (S.t === t && S.key === key) return;
    S.t = t;
    S.key = key;
    S.g.dataset.t = t;
    richSvg(S.idx, String(t));
    S.foot.textContent = quoted(d.labels[t]);
    for (let r = 0; r < R; r++) {
      const N = S.rows[r], on = done(r, t);
      N.box.classList.toggle(OFF, !on);
      for (const a of S.harrows[r]) a.classList.toggle(OFF, !on);
      richSvg(N.label, at(rows[r].h, t));
      paintState(N.cells, r, t, on);
    }
    // x
    richSvg(S.x.label, at(X.sym, t));
    for (let u = 0; u < X.U; u++) {
      const i = t * X.U + u, v = A.xs[i];
      setAttr(S.x.cells[u], "fill", X.tokens ? (v > 0.5 ? "var(--acc)" : "none") : xColor(v));
      if (X.binned) { setAttr(S.x.cells.hi[u], "fill", xColor(A.xhi[i])); setAttr(S.x.cells.lo[u], "fill", xColor(A.xlo[i])); }
    }
    // output[t] = [fwd ; rev]
    if (S.cat) {
      const halves = [[topFwd, S.cat.cells[0]], [topRev, S.cat.cells[1]]];
      halves.forEach(([r, cellsH], hIdx) => {
        const on = done(r, t);
        S.cat.frames[hIdx].classList.toggle("filled", on);
        S.cat.frames[hIdx].dataset.filled = on ? "1" : "0";
        paintState(cellsH, r, t, on);
      });
      S.cat.box.classList.toggle(OFF, !(done(topFwd, t) || done(topRev, t)));
      richSvg(S.cat.label, at(`${String(t).length * 0.56 * Number(sz.small) + 52 > G.nodeW ? "out" : "output"}[#]`, t));
    }
    if (S.y) {
      const on = outDone();
      S.y.box.classList.toggle(OFF, !on);
      if (OUT.O) {
        const k = A.top[t * OUT.K], p = A.topP[t * OUT.K];
        richSvg(S.y.label, on ? `${quoted(OUT.labels[k])} ${Number.isFinite(p) ? Math.round(p * 100) : "?"}%` : at(OUT.sym, t));
      }
      for (let u = 0; u < S.y.cells.length; u++) {
        const p = A.ps[t * OUT.O + u];
        setAttr(S.y.cells[u], "fill", "var(--acc)");
        setAttr(S.y.cells[u], "fill-opacity", on && Number.isFinite(p) ? String(clamp(p, 0, 1) * 0.92 + 0.04) : "0");
      }
    }
  }
  let liveTimer = null;
  function draw() {
    if (!G) return;
    const t = shown(), r0 = shownRow(), j = s.unit;
    const start = windowStart(t);
    G.start = start;
    for (let tk = start; tk < start + G.W; tk++) {
      const S = G.slots[tk % G.W];
      drawSlot(S, tk);
      setAttr(S.g, "transform", `translate(${(tk - start) * G.colW},0)`);
      S.g.classList.toggle("cur", tk === t);
      for (let r = 0; r < R; r++) S.rows[r].box.classList.toggle("sel", tk === t && r === r0);
    }
    // the chosen unit's cell in the selected row of the current column
    const cellEl = G.slots[t % G.W].rows[r0].cells[binOf(j)];
    if (cellEl) {
      setAttr(G.unitMark, "x", Number(cellEl.getAttribute("x")) - 1 + (t - start) * G.colW);
      setAttr(G.unitMark, "y", Number(cellEl.getAttribute("y")) - 1);
      setAttr(G.unitMark, "width", Math.max(Number(cellEl.getAttribute("width")) + 2, 3));
    }
    // the overview track (long sequences: which part is drawn)
    track.hidden = G.W >= T;
    if (G.W < T) {
      trackWin.style.left = `${(start / T) * 100}%`;
      trackWin.style.width = `${(G.W / T) * 100}%`;
      trackNow.style.left = `${((t + 0.5) / T) * 100}%`;
      where.textContent = tx.window.replace("{a}", start).replace("{b}", start + G.W - 1).replace("{T}", T);
    } else {
      where.textContent = "";
    }
    ru.dataset.step = s.step;
    ru.dataset.unit = j;
    ru.dataset.row = r0;
    ru.dataset.shown = t;
    ru.dataset.start = start;
    ru.classList.toggle("final", Boolean(s.anim && s.anim.i >= FINAL));
    ru.dataset.anim = !s.anim ? "" : s.anim.i >= FINAL ? "done" : `${rows[r0].reverse ? "r" : "f"}${rows[r0].layer}:${t}`;
    drawInner(r0, t, j);
    // text alternative of the current column
    const said = columnText(t, j);
    capt.textContent = said;
    clearTimeout(liveTimer);
    liveTimer = setTimeout(() => { live.textContent = said; }, LIVE_MS);
  }
  function columnText(t, j) {
    const parts = [`Step ${t} of ${T - 1}, reading ${quoted(d.labels[t])}.`];
    if (s.anim && s.anim.i < FINAL) {
      const r = phases[s.anim.i][0];
      parts.push(`Animating: ${rows[r].reverse ? "the reverse direction, right to left" : "the forward direction, left to right"}${L > 1 ? `, layer ${rows[r].layer}` : ""}.`);
    }
    for (let r = R - 1; r >= 0; r--) {
      if (!done(r, t)) { parts.push(`${plain(at(rows[r].h, t))} (${rows[r].name}): not computed yet.`); continue; }
      const [lo, hi] = rowRange(r, t);
      const v = innerGet(r, t, j, "h");
      parts.push(`${plain(at(rows[r].h, t))}${R > 1 ? ` (${rows[r].name})` : ""}: ${H} units from ${fmt4(lo)} to ${fmt4(hi)}`
        + (v != null ? `, unit ${j} = ${fmt4(v)}.` : "."));
    }
    if (D === 2 && outDone()) parts.push(`output[${t}] = [forward h_${t} ; reverse h_${t}] (${2 * H} values).`);
    if (OUT.O && outDone()) {
      const guesses = [];
      for (let i = 0; i < OUT.K; i++) guesses.push(`${quoted(OUT.labels[A.top[t * OUT.K + i]])} ${pct(A.topP[t * OUT.K + i])}`);
      parts.push(`${plain(at(OUT.sym, t))}: ${guesses.join(", ")}.`);
    }
    return parts.join(" ");
  }

  // ---------------------------------------------------------------- inside the cell
  const IP = buildInner();
  function buildInner() {
    const k = Number(sz.inner_text) / 15;
    const VW = 1020;
    const VH = cell === "rnn" ? 215 : 352;
    innerSvg.setAttribute("viewBox", `0 0 ${VW} ${VH}`);
    innerSvg.setAttribute("width", VW * k);
    innerSvg.style.maxWidth = "100%";
    innerSvg.style.height = "auto";
    const top = svgEl("g", {}, innerSvg);
    let g = top; // where the helpers below draw (a variant group of the RNN, else the top group)
    const parts = {};
    const box = (name, x, y, w, h, cls = "") => {
      const bg = svgEl("g", { class: `ib ${cls}`, "data-part": name }, g);
      svgEl("rect", { x, y, width: w, height: h, rx: 7 }, bg);
      const l1 = svgEl("text", { class: "b1", x: x + w / 2, y: y + h / 2 - 6, "text-anchor": "middle" }, bg);
      const l2 = svgEl("text", { class: "b2", x: x + w / 2, y: y + h / 2 + 16, "text-anchor": "middle" }, bg);
      parts[name] = { bg, l1, l2, y, h };
      return parts[name];
    };
    const term = (name, x, y, w, h) => { // one line: label left, value right
      const bg = svgEl("g", { class: "ib term", "data-part": name }, g);
      svgEl("rect", { x, y, width: w, height: h, rx: 7 }, bg);
      const l1 = svgEl("text", { class: "b1", x: x + 10, y: y + h / 2 + 5 }, bg);
      const l2 = svgEl("text", { class: "b2", x: x + w - 10, y: y + h / 2 + 5, "text-anchor": "end" }, bg);
      parts[name] = { bg, l1, l2 };
      return parts[name];
    };
    const op = (x, y, sym) => {
      const og = svgEl("g", { class: "op" }, g);
      svgEl("circle", { cx: x, cy: y, r: 15 }, og);
      svgEl("text", { x, y: y + 6, "text-anchor": "middle" }, og).textContent = sym;
    };
    const wire = (pts, cls = "") => {
      const [ln, hd] = wirePaths(pts);
      const wg = svgEl("g", { class: `w ${cls}` }, g);
      svgEl("path", { class: "wl-line", d: ln }, wg);
      svgEl("path", { class: "wl-head", d: hd }, wg);
      return wg;
    };
    const line = (pts) => svgEl("path", { class: "w wl-line", d: wirePaths(pts)[0] }, g);
    const label = (name, x, y, anchor = "middle") => {
      parts[name] = { l1: svgEl("text", { class: "wl", x, y, "text-anchor": anchor }, g) };
      return parts[name];
    };
    if (cell === "rnn") {
      // two layouts: PyTorch's two biases (4 terms), or the textbook notations' one bias (3 terms)
      parts.variants = {};
      for (const [variant, ys, src] of [["two", [8, 58, 108, 158], [39, 165]], ["one", [20, 90, 160], [45, 135]]]) {
        g = parts.variants[variant] = svgEl("g", { class: `variant ${variant}` }, top);
        const names = variant === "two" ? ["xw", "b1", "hw", "b2"] : ["xw", "hw", "b1"];
        box(`${variant}.x`, 10, src[0] - 25, 170, 50);
        box(`${variant}.hprev`, 10, src[1] - 25, 170, 50);
        names.forEach((name, i) => {
          term(`${variant}.${name}`, 250, ys[i], 250, 40);
          wire([[500, ys[i] + 20], [547, 103 + (ys[i] + 20 - 103) * 0.25]]);
        });
        wire([[180, src[0]], [250, ys[0] + 20]]);
        wire([[180, src[1]], [250, ys[names.indexOf("hw")] + 20]]);
      }
      g = top;
      op(562, 103, "+");
      box("pre", 610, 78, 140, 50);
      wire([[577, 103], [610, 103]]);
      box("act", 790, 78, 80, 50, "act");
      wire([[750, 103], [790, 103]]);
      box("h", 900, 78, 112, 50, "res");
      wire([[870, 103], [900, 103]]);
    } else if (cell === "lstm") {
      // the cell state along the top: c_{t−1} ⊙ f, + i ⊙ g, = c_t
      box("cprev", 10, 27, 180, 50); op(320, 52, "⊙"); op(560, 52, "+"); box("c", 850, 27, 160, 50, "res");
      wire([[190, 52], [305, 52]]); wire([[335, 52], [545, 52]]); wire([[575, 52], [850, 52]]); label("fc", 440, 40);
      op(560, 142, "⊙"); wire([[560, 127], [560, 67]]); label("ig", 576, 104, "start"); // i ⊙ g into the +
      // h_t = o ⊙ tanh(c_t)
      box("tanhc", 710, 112, 120, 46); wire([[770, 52], [770, 112]]);
      op(770, 212, "⊙"); wire([[770, 158], [770, 197]]); box("h", 850, 187, 160, 50, "res"); wire([[785, 212], [850, 212]]);
      // the four gates, fed by one bus (x_t and h_{t−1})
      [["f", 255, "gate"], ["i", 405, "gate"], ["g", 555, "gate tanh"], ["o", 705, "gate"]]
        .forEach(([name, x, cls]) => box(name, x, 255, 130, 56, cls));
      wire([[320, 255], [320, 67]]); wire([[470, 255], [470, 142], [545, 142]]);
      wire([[620, 255], [620, 142], [575, 142]]); wire([[770, 255], [770, 227]]);
      line([[215, 334], [770, 334]]);
      for (const cx of [320, 470, 620, 770]) wire([[cx, 334], [cx, 311]]);
      label("bus", 205, 339, "end");
    } else {
      // h along the top: h_{t−1} ⊙ z, + (1 − z) ⊙ n, = h_t
      box("hprev", 10, 27, 180, 50); op(640, 52, "⊙"); op(820, 52, "+"); box("h", 860, 27, 150, 50, "res");
      wire([[190, 52], [625, 52]]); wire([[655, 52], [805, 52]]); wire([[835, 52], [860, 52]]); label("zh", 730, 38);
      // z, from its inputs below into the top ⊙
      box("z", 575, 105, 130, 56, "gate"); wire([[640, 105], [640, 67]]); wire([[640, 205], [640, 161]]);
      label("zin", 650, 200, "start");
      // (1 − z) ⊙ n into the top +
      op(820, 133, "⊙"); wire([[705, 133], [805, 133]]); label("omz", 755, 124);
      wire([[820, 118], [820, 67]]); label("omzn", 836, 100, "start");
      // n, from r ⊙ (W_hn h + b_hn) and its own inputs
      box("n", 755, 215, 130, 56, "gate tanh"); wire([[820, 215], [820, 148]]); wire([[820, 320], [820, 271]]);
      label("nin", 820, 340);
      op(440, 243, "⊙"); wire([[455, 243], [755, 243]]); label("rhn", 590, 266);
      wire([[440, 52], [440, 228]]); label("hn", 452, 92, "start");
      // r, from its inputs into that ⊙
      box("r", 215, 215, 130, 56, "gate"); wire([[345, 243], [425, 243]]); wire([[280, 320], [280, 271]]);
      label("rin", 280, 340);
    }
    return parts;
  }
  function setPart(name, a, b) {
    const p = IP[name];
    if (!p) return;
    richSvg(p.l1, a);
    if (p.l2) richSvg(p.l2, b ?? "");
    if (p.h && !b) setAttr(p.l1, "y", p.y + p.h / 2 + 5); // one line: centred
  }
  function drawInner(r, t, j) {
    const row = rows[r], rev = row.reverse;
    const get = (name) => innerGet(r, t, j, name);
    const stale = inner.meta.mode === "unit" && inner.meta.unit !== j;
    innerBox.classList.toggle("stale", stale);
    const on = done(r, t);
    innerBox.classList.toggle(OFF, !on);
    const prevT = rev ? t + 1 : t - 1;
    const hT = at(row.h, t), hPrev = at(row.h, prevT) + ((rev ? t === T - 1 : t === 0) ? " (initial)" : "");
    const xT = r < D ? at(X.sym, t) : `${L > 1 ? `output of layer ${row.layer - 1}` : ""}[${t}]`;
    richHtml(innerTitle, `${tx.inner}${R > 1 ? ` — ${row.name}` : ""}: unit ${j} at step ${t}`);
    const v = (name) => fmt4(get(name));
    if (cell === "rnn") {
      const one = inner.meta.slots[r].includes("b"), V = one ? "one" : "two";
      IP.variants.one.style.display = one ? "" : "none";
      IP.variants.two.style.display = one ? "none" : "";
      const xText = r < D && X.tokens ? quoted(d.labels[t]) : (r < D ? `${X.size} inputs` : `${D * H} values`);
      setPart(`${V}.x`, xT, xText);
      setPart(`${V}.hprev`, hPrev, `${H} units`);
      setPart(`${V}.xw`, `${row.w_ih} ${xT}`, v("xw"));
      setPart(`${V}.hw`, `${row.w_hh} ${hPrev.replace(" (initial)", "")}`, v("hw"));
      if (one) {
        setPart("one.b1", row.bias, v("b"));
      } else {
        const [bi, bh] = row.bias.split(" + ");
        setPart("two.b1", bi, v("bih"));
        setPart("two.b2", bh, v("bhh"));
      }
      setPart("pre", "sum", v("pre"));
      setPart("act", d.act, "");
      setPart("h", `${hT}[${j}]`, v("h"));
    } else if (cell === "lstm") {
      const cT = `c_{${num(t)}}[${j}]`, cPrev = `c_{${num(prevT)}}[${j}]`;
      setPart("cprev", cPrev + ((rev ? t === T - 1 : t === 0) ? " (initial)" : ""), v("c_prev"));
      setPart("c", cT, v("c"));
      setPart("h", `${hT}[${j}]`, v("h"));
      setPart("tanhc", `tanh(${cT})`, v("tanh_c"));
      for (const [gname, fn] of [["f", "σ"], ["i", "σ"], ["g", "tanh"], ["o", "σ"]]) {
        setPart(gname, `${gname} = ${fn}(${v(`${gname}_pre`)})`, `= ${v(gname)}`);
      }
      setPart("fc", `f ⊙ ${cPrev} = ${v("f_c")}`);
      setPart("ig", `i ⊙ g = ${v("i_g")}`);
      setPart("bus", `every gate reads ${xT}, ${hPrev.replace(" (initial)", "")}`);
    } else {
      const hp = hPrev.replace(" (initial)", "");
      setPart("hprev", hPrev, v("h_prev"));
      setPart("h", `${hT}[${j}]`, v("h"));
      for (const [gname, fn] of [["r", "σ"], ["z", "σ"], ["n", "tanh"]]) {
        setPart(gname, `${gname} = ${fn}(${v(`${gname}_pre`)})`, `= ${v(gname)}`);
      }
      setPart("zh", `z ⊙ ${hp} = ${v("z_h")}`);
      setPart("omz", "1 − z");
      setPart("omzn", `(1 − z) ⊙ n = ${v("omz_n")}`);
      setPart("rhn", `r ⊙ (W_{hn} ${hp} + b_{hn}) = ${v("r_hn")}`);
      setPart("hn", `W_{hn} ${hp} = ${v("n_hw")}, b_{hn} = ${v("n_bh")}`);
      setPart("zin", `${xT}, ${hp}`);
      setPart("rin", `${xT}, ${hp}`);
      setPart("nin", `${xT}: ${v("n_xw")} + ${v("n_bi")}`);
    }
    innerSvg.setAttribute("aria-label", innerText(r, t, j));
    innerCap.textContent = stale ? "" : innerText(r, t, j);
  }
  function innerText(r, t, j) {
    const v = (name) => fmt4(innerGet(r, t, j, name));
    const prevT = num(rows[r].reverse ? t + 1 : t - 1), hT = `${plain(at(rows[r].h, t))}[${j}]`;
    const hPrev = `${plain(at(rows[r].h, rows[r].reverse ? t + 1 : t - 1))}[${j}]`;
    if (cell === "rnn") {
      return `${hT} = ${d.act}(${v("pre")}) = ${v("h")}.`;
    }
    if (cell === "lstm") {
      return `c_${num(t)}[${j}] = f ⊙ c_${prevT}[${j}] + i ⊙ g = ${v("f_c")} + ${v("i_g")} = ${v("c")}; `
        + `${hT} = o ⊙ tanh(c_${num(t)}[${j}]) = ${v("o")} · ${v("tanh_c")} = ${v("h")}.`;
    }
    return `${hT} = (1 − z) ⊙ n + z ⊙ ${hPrev} = ${v("omz_n")} + ${v("z_h")} = ${v("h")}.`;
  }
  // hover on a part of the cell: the numbers it is made of
  const gateTerms = (r, t, j, gname) => {
    const v = (name) => fmt4(innerGet(r, t, j, name));
    return `${gname}: W_i${gname} x = ${v(`${gname}_xw`)}, b_i${gname} = ${v(`${gname}_bi`)}, `
      + `W_h${gname} h = ${v(`${gname}_hw`)}, b_h${gname} = ${v(`${gname}_bh`)}; sum ${v(`${gname}_pre`)} → ${v(gname)}`;
  };

  // ---------------------------------------------------------------- hover
  function hoverText(target) {
    const what = target.dataset.what;
    const gcol = target.closest(".col");
    if (!what || !gcol) return null;
    const t = Number(gcol.dataset.t);
    const u = target.dataset.u != null ? Number(target.dataset.u) : null;
    if (what === "h") {
      const r = Number(target.dataset.r), name = `${plain(at(rows[r].h, t))}${R > 1 ? ` (${rows[r].name})` : ""}`;
      if (!done(r, t)) return `${name}: not computed yet`;
      if (u == null) {
        const [lo, hi] = rowRange(r, t);
        return `${name}: ${H} units from ${fmt4(lo)} to ${fmt4(hi)}`;
      }
      if (!d.binned) return `${name}, unit ${u}: ${fmt4(hsAt(r, t, u))}`;
      const i = (r * T + t) * U + u;
      return `${name}, units ${d.edges[u]}–${d.edges[u + 1] - 1}: mean ${fmt4(A.hs[i])}, min ${fmt4(A.lo[i])}, max ${fmt4(A.hi[i])}`;
    }
    if (what === "x") {
      const name = plain(at(X.sym, t));
      if (X.tokens) return `${name} = one-hot(${quoted(d.labels[t])}): a vector of ${X.size} zeros with a 1 at the token's index`;
      if (u == null) return `${name}: ${X.size} input values`;
      if (!X.binned) return `${name}, input ${u}: ${fmt4(A.xs[t * X.U + u])}`;
      const i = t * X.U + u;
      return `${name}, inputs ${X.edges[u]}–${X.edges[u + 1] - 1}: mean ${fmt4(A.xs[i])}, min ${fmt4(A.xlo[i])}, max ${fmt4(A.xhi[i])}`;
    }
    if (what === "cat") {
      const half = target.dataset.half != null ? Number(target.dataset.half) : null;
      const text = `output[${t}] = [forward h_${t} ; reverse h_${t}]`;
      if (half == null) return text;
      const r = half ? topRev : topFwd;
      if (!done(r, t)) return `${text}: the ${half ? "reverse" : "forward"} half is not computed yet`;
      const unit = u == null ? "" : d.binned ? `, units ${d.edges[u]}–${d.edges[u + 1] - 1} (mean) ${fmt4(hsAt(r, t, u))}`
        : `, unit ${u}: ${fmt4(hsAt(r, t, u))}`;
      return `${text}; ${half ? "reverse" : "forward"} half = ${half ? "reverse" : "forward"} h_${t}${unit}`;
    }
    if (what === "y") {
      const name = plain(at(OUT.sym, t));
      if (!outDone()) return `${name}: computed after the ${D === 2 ? "concatenation" : "last layer"}`;
      if (u != null && A.ps) return `${name}[${quoted(OUT.labels[u])}] = ${fmt4(A.ps[t * OUT.O + u])}`;
      const g = [];
      for (let i = 0; i < OUT.K; i++) g.push(`${quoted(OUT.labels[A.top[t * OUT.K + i]])} ${fmt4(A.topP[t * OUT.K + i])}`);
      return `${name}: softmax; most likely ${g.join(", ")}`;
    }
    return null;
  }
  svg.addEventListener("mousemove", (ev) => {
    const text = hoverText(ev.target);
    if (!text) { tip.style.display = "none"; return; }
    tip.textContent = text;
    tip.style.display = "block";
    const r = netBox.getBoundingClientRect();
    const x = ev.clientX - r.left + netBox.scrollLeft, y = ev.clientY - r.top;
    tip.style.left = `${x + 14 + tip.offsetWidth > netBox.clientWidth + netBox.scrollLeft ? x - 14 - tip.offsetWidth : x + 14}px`;
    tip.style.top = `${Math.max(0, y - 34)}px`;
  });
  svg.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  innerSvg.addEventListener("mousemove", (ev) => {
    const part = ev.target.closest("[data-part]");
    const name = part ? part.dataset.part : null;
    const r = shownRow(), t = shown(), j = s.unit;
    // a gate: the four terms of its pre-activation (the other boxes write all their numbers)
    const text = name && name.length === 1 && "ifgorzn".includes(name) && cell !== "rnn" ? gateTerms(r, t, j, name) : null;
    innerTipShow(ev, text);
  });
  innerSvg.addEventListener("mouseleave", () => innerTipShow(null, null));
  const itip = el("div", "tip", innerBox);
  function innerTipShow(ev, text) {
    if (!text) { itip.style.display = "none"; return; }
    itip.textContent = text;
    itip.style.display = "block";
    const r = innerBox.getBoundingClientRect();
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    itip.style.left = `${x + 14 + itip.offsetWidth > innerBox.clientWidth ? Math.max(0, x - 14 - itip.offsetWidth) : x + 14}px`;
    itip.style.top = `${Math.max(0, y - 34)}px`;
  }

  // ---------------------------------------------------------------- moving the step (through the player)
  function goto(t, unit) {
    t = clamp(Math.round(t), 0, T - 1);
    s.heard = false;
    const detail = { step: t };
    if (unit != null) detail.unit = clamp(Math.round(unit), 0, H - 1);
    window.dispatchEvent(new CustomEvent("rnnviz:goto", { detail }));
    if (!s.heard) { // no player answered (or it was already there): move here
      s.step = t;
      if (detail.unit != null) s.unit = detail.unit;
      draw();
    }
  }
  function pickRow(r) {
    if (r === s.row) return;
    s.row = r;
    const row = rows[r];
    if (s.send) s.send("pick", { layer: row.layer, direction: row.reverse ? "reverse" : "forward" });
  }
  svg.addEventListener("click", (ev) => {
    const gcol = ev.target.closest(".col");
    if (!gcol) return;
    stopAnim(false);
    ru.focus({ preventScroll: true });
    const t = Number(gcol.dataset.t);
    const rAttr = ev.target.dataset.r;
    if (rAttr != null) pickRow(Number(rAttr));
    const u = ev.target.dataset.u;
    const unit = rAttr != null && u != null && !d.binned ? Number(u) : null; // a bin is many units
    goto(t, unit);
    draw();
  });
  track.addEventListener("click", (ev) => {
    const r = track.getBoundingClientRect();
    stopAnim(false);
    goto(Math.floor(((ev.clientX - r.left) / r.width) * T));
  });
  const onStep = (ev) => {
    const g = ev.detail || {};
    if (g.T !== T || g.H !== H) return; // another model's player (the page is rebuilding)
    s.heard = true;
    if (s.anim) stopAnim(false); // the player moved: the animation gives way
    s.step = clamp(g.step | 0, 0, T - 1);
    s.unit = clamp(g.unit | 0, 0, H - 1);
    if (Number.isFinite(g.speed)) s.speed = clamp(g.speed, 0.5, 10);
    draw();
  };
  window.addEventListener("rnnviz:step", onStep);

  // ---------------------------------------------------------------- the animation
  function stopAnim(keepFinal) {
    if (!s.anim) return;
    clearInterval(s.anim.timer);
    s.anim.timer = null;
    playB.textContent = tx.play;
    playB.setAttribute("aria-pressed", "false");
    ru.dataset.playing = "0";
    if (!keepFinal) s.anim = null;
  }
  // Play: from the start (or again after the end); while it runs the button pauses; paused, it resumes
  function play() {
    if (s.anim && s.anim.timer) { // running: pause on this phase
      clearInterval(s.anim.timer);
      s.anim.timer = null;
      playB.textContent = tx.resume;
      playB.setAttribute("aria-pressed", "false");
      ru.dataset.playing = "0";
      return;
    }
    if (!s.anim || s.anim.i >= FINAL) s.anim = { i: 0, timer: null };
    playB.textContent = tx.pause;
    playB.setAttribute("aria-pressed", "true");
    ru.dataset.playing = "1";
    draw();
    s.anim.timer = setInterval(() => {
      s.anim.i += 1;
      if (s.anim.i >= FINAL) { s.anim.i = FINAL; stopAnim(true); } // ends on the output (the concatenation)
      draw();
      if (s.anim && s.anim.i >= FINAL) {
        capt.textContent = `${D === 2 ? tx.concat : tx.done} ${capt.textContent}`;
      }
    }, 1000 / s.speed);
  }
  playB.addEventListener("click", play);

  // ---------------------------------------------------------------- size changes
  let lastW = -1, raf = 0;
  const ro = new ResizeObserver(() => {
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(() => {
      const w = netBox.clientWidth;
      if (Math.abs(w - lastW) < 1) return;
      lastW = w;
      layout();
      draw();
    });
  });
  ro.observe(netBox);

  // ---------------------------------------------------------------- the object the entry point keeps
  s.snapshot = () => ({ step: s.step, unit: s.unit, row: s.row, calls: s.calls });
  s.update = (nd) => {
    inner.meta = nd.inner_meta;
    inner.vals = column(nd, "inner");
    if ((nd.view_row | 0) !== s.viewRow) { s.viewRow = nd.view_row | 0; s.row = clamp(s.viewRow, 0, R - 1); }
    draw();
  };
  s.destroy = () => {
    stopAnim(false);
    clearTimeout(liveTimer);
    cancelAnimationFrame(raf);
    ro.disconnect();
    window.removeEventListener("rnnviz:step", onStep);
    ru.remove();
  };
  lastW = netBox.clientWidth;
  layout();
  draw();
  window.dispatchEvent(new CustomEvent("rnnviz:ask")); // the player answers with "rnnviz:step"
  return s;
}
