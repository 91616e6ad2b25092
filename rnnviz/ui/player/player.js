// rnnviz step player (issue 9): draws the step views in the browser and steps through time with
// no server round trip. The data contract is documented in rnnviz/player_spec.py.
//
// Rules this file keeps:
// - The browser only INDEXES the arrays Python sent (no sums, no activations): every number shown
//   comes from the server. Formatting (4 decimals, a real minus sign) is the only transformation.
// - The heatmap is drawn once per data; a step change only moves attributes/text (no layout reads).
// - State lives in a module-level WeakMap keyed by parentElement: Streamlit re-invokes this
//   function when `data` changes and runs the returned cleanup before each re-invocation.
// - Python hears step/unit/speed through setStateValue, throttled to <= 4 messages/s (final value
//   always sent). Python moves the step only through data.cmd, applied once per cmd.seq.

const REPORT_MS = 250; // <= 4 state messages per second while scrubbing
// While playing, no messages: each one reruns the fragment, and the browser's handling of that rerun
// (React re-rendering the page, the URL) was measured at 100-350 ms long tasks on the real page, which
// delay the Play timer (bench/app.py). The final value is sent when Play stops.
const MAX_BARS = 64; // above this, bars are drawn as an area (hundreds of rects redraw slowly)
const MAX_TICK_LABELS = 60;
const SIDE_TICK_LABELS = 24; // the side layout's softmax column: every k-th output label above this many
const VY = 1000;
const SOFT_HI = 1.18; // the probability axis runs past 1 so the labels above a bar near 1 stay inside // SVG units of a value axis: a viewBox only 1 unit tall rasterised blurry in Chromium
// Focus targets whose keys belong to them: typing, or a widget that uses the arrow keys itself.
const KEY_ROLES = new Set(["textbox", "searchbox", "combobox", "spinbutton", "slider", "listbox", "option",
  "radio", "tab", "menuitem", "grid", "gridcell", "tree", "treeitem"]);
const NON_TEXT_INPUTS = new Set(["button", "checkbox", "submit", "reset", "image", "file", "color"]);

export default function (args) {
  const { data, parentElement: root, setStateValue } = args;
  let s = STATES.get(root);
  try {
    if (!data || data.v !== 1 || typeof data.sig !== "string") throw new Error("the player received no valid data");
    if (!s || s.sig !== data.sig) {
      const keep = s ? s.snapshot() : null; // another model: keep the step (clamped) unless a command says otherwise
      s?.destroy();
      s = build(root, data, keep);
      STATES.set(root, s);
    } else {
      s.update(data); // same model: maybe other equation numbers (unit mode), maybe a new command
    }
    s.send = setStateValue;
    s.sync(); // e.g. another model clamped the step: Python hears the clamped value
    s.calls += 1;
    s.el.dataset.calls = s.calls; // test hook: how often Streamlit invoked us (a re-send re-invokes)
    s.command(data.cmd);
  } catch (err) {
    showError(root, err, "rp", "step player");
    return undefined;
  }
  return cleanupWhenGone(root, s);
}

// ---------------------------------------------------------------- helpers

const fmtSigned = (v) => (Number.isFinite(v) && v >= 0 ? "+" : "") + fmt4(v);
const fmtTick = (v) => {
  const r = Math.round(v * 1000) / 1000;
  const txt = Math.abs(r) >= 1000 ? r.toPrecision(3) : String(r);
  return txt.replace("-", "−");
};
/** Text with TeX-like subscripts ("h_{t−1}", "c_t") as <sub>, built from text nodes (never HTML). */
const rich = (node, text) => subscripted(node, text, /_\{([^}]*)\}|_([A-Za-z0-9])/g, (n, sub) => el("sub", null, n, sub));
/** About `target` ticks on [0, n): multiples of 1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100 ... */
function tickStep(n, target) {
  const raw = n / target;
  const steps = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 250, 256, 500, 1000];
  return steps.find((x) => x >= raw) ?? Math.ceil(raw);
}
/** Round tick values inside [lo, hi] (1, 2, 2.5, 5 x 10^k apart), about `count` of them. */
function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(count - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw * 0.999);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}
/** 256-entry colour table (r, g, b bytes) from [[pos, "#rrggbb"], ...] stops. */
const colorTable = (stops) => Uint8ClampedArray.from(colorRamp(stops).flat());
function isKeyTarget(t) {
  if (!t || t.nodeType !== 1) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") return !NON_TEXT_INPUTS.has((t.type || "text").toLowerCase());
  const role = t.getAttribute("role");
  return role != null && KEY_ROLES.has(role);
}

// ---------------------------------------------------------------- the player

function build(root, d, keep) {
  const { T, H, O, K, cell } = d;
  const G = d.gate_names.length;
  const tx = d.texts, sz = d.sizes, colors = d.colors;
  const A = {
    h: column(d, "h"), dh: column(d, "dh"), probs: O ? column(d, "probs") : null, top: O ? column(d, "top") : null,
    tn: d.next_token ? column(d, "true_next") : null, gates: G ? column(d, "gates") : null, c: column(d, "c"),
  };
  if (A.h.length !== T * H || A.dh.length !== T * H) throw new Error("h / dh do not have T*H values");
  const eq = { tpl: d.eq, vals: column(d, "eq_vals"), unit: d.eq.unit };

  const rp = el("div", "rp");
  rp.tabIndex = 0;
  rp.setAttribute("role", "group");
  rp.setAttribute("aria-label", "Step-through player. Keys: left and right arrows step, Home and End jump, P plays or pauses.");
  rp.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Home End P");
  const px = (k) => `${Number(sz[k])}px`;
  for (const [k, v] of Object.entries({ text: "text", small: "small", tick: "tick", title: "title", strip: "strip",
    math: "math", bars: "bars", gate: "gate_row" })) rp.style.setProperty(`--pl-${k}`, px(v));
  const heatPx = clamp(Number(sz.heat_cell) * H, Number(sz.heat_min), Number(sz.heat_max));
  rp.style.setProperty("--pl-heat", `${heatPx}px`);
  for (const [k, v] of Object.entries({ acc: "accent", mut: "muted", tru: "true", pos: "pos", neg: "neg" })) {
    rp.style.setProperty(`--${k}`, colors[v]);
  }
  rp.style.setProperty("--gate", colors.gate);

  // ---- the side-by-side layout (the projector's): heatmap and controls on the left, the step charts
  // on the right, the rest below; otherwise everything stacked
  const side = d.layout === "side";
  if (side) rp.classList.add("side");
  const topRow = side ? el("div", "toprow", rp) : rp;
  const mainCol = side ? el("div", "maincol", topRow) : rp;

  // ---- heatmap + time strip
  const hm = el("div", "hm", mainCol);
  const head = el("div", "hhead", hm);
  rich(el("div", "ttl", head), tx.title);
  const read = el("div", "read", head);
  const strip = el("div", "strip", hm);
  const stripCells = [];
  const windowed = T > MAX_TICK_LABELS;
  // a window of +-WIN labels around the step: fewer when labels are long ("x250"), so they never overlap
  const maxLen = Math.max(1, ...d.labels.map((l) => [...l].length));
  const WIN = Math.max(2, Math.min(20, Math.floor(20 / maxLen)));
  if (windowed) {
    strip.classList.add("win");
    strip.style.setProperty("--cellch", String(maxLen));
    for (let i = -WIN; i <= WIN; i++) stripCells.push(el("span", i === 0 ? "cur" : "", strip));
  } else {
    for (let t = 0; t < T; t++) stripCells.push(el("span", "", strip, d.labels[t]));
  }
  strip.setAttribute("aria-hidden", "true");
  rich(el("div", "ylab", hm), tx.y_title);
  const yt = el("div", "yt", hm);
  const plot = el("div", "plot", hm);
  const cb = el("div", "cb", hm);
  const xt = el("div", "xt", hm);
  rich(el("div", "xlab", hm), tx.x_title);
  const canvas = el("canvas", T <= 2 * 600 && H <= heatPx ? "px" : "", plot);
  canvas.width = T;
  canvas.height = H;
  canvas.setAttribute("aria-hidden", "true");
  const lut = colorTable(d.scale.stops);
  const { zmin, zmax } = d.scale;
  const colorIndex = (v) => Math.round(clamp((v - zmin) / (zmax - zmin || 1), 0, 1) * 255);
  {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(T, H);
    const px8 = img.data;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const v = A.h[t * H + j];
        const o = 4 * ((H - 1 - j) * T + t); // unit 0 at the bottom, as Plotly draws it
        if (Number.isNaN(v)) { px8[o] = px8[o + 1] = px8[o + 2] = 128; } else {
          const ci = colorIndex(v) * 3;
          px8[o] = lut[ci]; px8[o + 1] = lut[ci + 1]; px8[o + 2] = lut[ci + 2];
        }
        px8[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }
  const ov = svgEl("svg", { viewBox: `0 0 ${T} ${H}`, preserveAspectRatio: "none", "aria-hidden": "true" }, plot);
  const cursor = svgEl("rect", { class: "cursor", x: 0, y: 0, width: 1, height: H }, ov);
  const cellO = svgEl("rect", { class: "cellout o", width: 1, height: 1 }, ov);
  const cellI = svgEl("rect", { class: "cellout i", width: 1, height: 1 }, ov);
  const tip = el("div", "tip", plot);
  // axes: ticks positioned in percent, so nothing is recomputed on resize
  if (T <= MAX_TICK_LABELS) {
    d.labels.forEach((lab, t) => { el("span", "tick", xt, lab).style.left = `${((t + 0.5) / T) * 100}%`; });
  } else {
    const st = tickStep(T, 10);
    for (let t = 0; t < T; t += st) el("span", "tick", xt, String(t)).style.left = `${((t + 0.5) / T) * 100}%`;
  }
  {
    const st = H <= 24 ? (H <= 16 ? 1 : 2) : tickStep(H, 8);
    for (let j = 0; j < H; j += st) el("span", "tick", yt, String(j)).style.bottom = `${((j + 0.5) / H) * 100}%`;
  }
  {
    const bar = el("canvas", "", cb);
    bar.width = 1;
    bar.height = 256;
    const bctx = bar.getContext("2d");
    const bimg = bctx.createImageData(1, 256);
    for (let i = 0; i < 256; i++) {
      const ci = (255 - i) * 3;
      bimg.data.set([lut[ci], lut[ci + 1], lut[ci + 2], 255], i * 4);
    }
    bctx.putImageData(bimg, 0, 0);
    rich(el("span", "cbt", cb), tx.colorbar);
    for (const v of niceTicks(zmin, zmax, 5)) {
      el("span", "tick", cb, fmtTick(v)).style.bottom = `${((v - zmin) / (zmax - zmin || 1)) * 100}%`;
    }
  }

  // ---- controls
  const ctl = el("div", "ctl", mainCol);
  ctl.setAttribute("role", "group");
  ctl.setAttribute("aria-label", "Time controls");
  const prevB = el("button", "prev", ctl, "◀ Prev");
  prevB.setAttribute("aria-label", "Previous step");
  prevB.title = "Previous step (← key)";
  const nextB = el("button", "next", ctl, "Next ▶");
  nextB.setAttribute("aria-label", "Next step");
  nextB.title = "Next step (→ key)";
  const slider = el("input", "slider", ctl);
  Object.assign(slider, { type: "range", min: "0", max: String(T - 1), step: "1" });
  slider.setAttribute("aria-label", "Time step");
  if (T < 2) slider.disabled = true;
  const playB = el("button", "play", ctl, "▶ Play");
  playB.setAttribute("aria-label", "Play");
  playB.setAttribute("aria-pressed", "false");
  playB.title = "Play / pause (P key)";
  if (T < 2) playB.disabled = true;
  const spdL = el("label", "spd", ctl, "speed");
  const spdIn = el("input", "", spdL);
  Object.assign(spdIn, { type: "range", min: "0.5", max: "10", step: "0.5" });
  spdIn.setAttribute("aria-label", "Play speed, steps per second");
  const spdOut = el("output", "", spdL);
  const pos = el("span", "pos", ctl);
  pos.setAttribute("aria-hidden", "true");

  // ---- bars: h_t and Δh (left), softmax (right)
  const views = el("div", "views", topRow);
  const left = el("div", "panel bars", views);
  const unitTicks = (parent) => {
    const st = H <= 20 ? (H <= 10 ? 1 : 5) : tickStep(H, 10);
    for (let j = 0; j < H; j += st) el("span", "tick", parent, String(j)).style.left = `${((j + 0.5) / H) * 100}%`;
  };
  /** A bar chart over units: rects with data-value for H <= 64, two area paths (+/-) above. */
  function unitChart(parent, title, range, cls) {
    const box = el("div", `chart ${cls}`, parent);
    const head = el("div", "ctitle", box);
    rich(el("span", "", head), title);
    const ro = el("span", "ro", head);
    const body = el("div", "cbody", box);
    const yax = el("div", "yax", body);
    const pb = el("div", "pb", body);
    const [lo, hi] = range;
    const Y = (v) => (VY * (hi - clamp(v, lo, hi))) / (hi - lo || 1);
    for (const v of niceTicks(lo, hi, 5)) el("span", "tick", yax, fmtTick(v)).style.bottom = `${(1 - Y(v) / VY) * 100}%`;
    const svg = svgEl("svg", { viewBox: `0 0 ${H} ${VY}`, preserveAspectRatio: "none", "aria-hidden": "true" }, pb);
    const y0 = Y(clamp(0, lo, hi));
    svgEl("line", { class: "zero", x1: 0, x2: H, y1: y0, y2: y0 }, svg);
    return { box, ro, svg, Y, y0, pb };
  }
  function barsOf(ch, name) {
    if (H <= MAX_BARS) {
      const rects = [];
      for (let j = 0; j < H; j++) {
        const r = svgEl("rect", { class: "b", x: j + 0.12, width: 0.76, y: ch.y0, height: 0 }, ch.svg);
        r.dataset.unit = j;
        r.dataset.series = name;
        rects.push(r);
      }
      return { rects };
    }
    const area = (cls) => svgEl("path", { class: cls, "shape-rendering": "crispEdges" }, ch.svg);
    return { pos: area("area pos"), neg: area("area neg") };
  }
  function drawBars(ch, bars, arr, off, signed) {
    if (bars.rects) {
      const { rects } = bars;
      for (let j = 0; j < H; j++) {
        const v = arr[off + j];
        const y = ch.Y(v);
        const r = rects[j];
        r.setAttribute("y", Math.min(y, ch.y0));
        r.setAttribute("height", Math.abs(y - ch.y0));
        const cls = signed && v < 0 ? "b neg" : "b pos";
        if (r.__cls !== cls) { r.setAttribute("class", cls); r.__cls = cls; } // a class change restyles: only when needed
        r.dataset.value = String(v);
      }
      return;
    }
    // areas: one path per sign, a step outline (one attribute each per step)
    let p = `M0 ${ch.y0}`, n = `M0 ${ch.y0}`;
    for (let j = 0; j < H; j++) {
      const v = arr[off + j];
      const y = ch.Y(v);
      p += `V${v > 0 ? y : ch.y0}H${j + 1}`;
      n += `V${v < 0 ? y : ch.y0}H${j + 1}`;
    }
    bars.pos.setAttribute("d", `${p}V${ch.y0}Z`);
    bars.neg.setAttribute("d", `${n}V${ch.y0}Z`);
  }
  const hCh = unitChart(left, tx.h_bars, d.ranges.h, "hbars");
  const hBars = barsOf(hCh, "h");
  const dCh = unitChart(left, tx.dh_bars, d.ranges.dh, "dbars");
  const dBars = barsOf(dCh, "dh");
  const uo = [hCh, dCh].map((ch) => svgEl("rect", { class: "uo", y: 0, width: 1, height: VY }, ch.svg));
  unitTicks(el("div", "xax", left));
  rich(el("div", "axt", left), tx.unit_label);

  const right = el("div", "panel soft", views);
  let soft = null;
  if (O) {
    const box = el("div", "chart", right);
    rich(el("div", "ctitle", box), tx.softmax);
    const body = el("div", "cbody", box);
    const yax = el("div", "yax", body);
    const pb = el("div", "pb", body);
    pb.style.height = px("soft");
    for (const v of niceTicks(0, 1, 6)) el("span", "tick", yax, fmtTick(v)).style.bottom = `${(v / SOFT_HI) * 100}%`;
    const svg = svgEl("svg", { viewBox: `0 0 ${O} ${VY}`, preserveAspectRatio: "none", "aria-hidden": "true" }, pb);
    for (const v of niceTicks(0, 1, 6).slice(1)) {
      svgEl("line", { class: "grid", x1: 0, x2: O, y1: VY * (1 - v / SOFT_HI), y2: VY * (1 - v / SOFT_HI) }, svg);
    }
    const rects = [];
    for (let k = 0; k < O; k++) {
      const r = svgEl("rect", { class: "b", x: k + 0.12, width: 0.76, y: VY, height: 0 }, svg);
      r.dataset.k = k;
      rects.push(r);
    }
    const tnRect = svgEl("rect", { class: "tn", x: 0, width: 0.76, y: VY, height: 0, visibility: "hidden" }, svg);
    const hlRect = svgEl("rect", { class: "hlo", x: 0, width: 0.92, y: 0, height: VY, visibility: "hidden" }, svg);
    const labs = [];
    for (let i = 0; i < K; i++) labs.push(el("span", "plab", pb));
    const tnLab = el("span", "tnl", pb, tx.true_next);
    tnLab.hidden = true;
    const xax = el("div", "xax lab", box);
    const every = side && O > SIDE_TICK_LABELS ? Math.ceil(O / SIDE_TICK_LABELS) : 1; // the side column is narrow
    if (O <= MAX_TICK_LABELS) {
      d.out_labels.forEach((lab, k) => {
        if (k % every === 0) el("span", "tick", xax, lab).style.left = `${((k + 0.5) / O) * 100}%`;
      });
    } else {
      const st = tickStep(O, 10);
      for (let k = 0; k < O; k += st) el("span", "tick", xax, String(k)).style.left = `${((k + 0.5) / O) * 100}%`;
    }
    rich(el("div", "axt", box), tx.out_title);
    soft = { rects, tnRect, hlRect, labs, tnLab, isTop: new Uint8Array(O) };
  } else {
    rich(el("div", "nosoft", right), tx.no_output);
  }

  // ---- gates (LSTM/GRU) and the LSTM cell state
  let gateRows = null;
  if (G || A.c) {
    const gp = el("div", "panel gates", rp);
    rich(el("div", "ctitle", gp), tx.gates);
    gateRows = [];
    const addRow = (name, title, range, arr, width, offset) => {
      const row = el("div", range[0] < 0 ? "grow signed" : "grow", gp);
      row.dataset.gate = name;
      const lab = el("div", "gl", row);
      rich(el("b", "", lab), title);
      const gv = el("span", "gv", lab);
      const gb = el("div", "gb", row);
      const [lo, hi] = range;
      const Y = (v) => (VY * (hi - clamp(v, lo, hi))) / (hi - lo || 1);
      const svg = svgEl("svg", { viewBox: `0 0 ${H} ${VY}`, preserveAspectRatio: "none", "aria-hidden": "true" }, gb);
      const y0 = Y(clamp(0, lo, hi));
      svgEl("line", { class: "zero", x1: 0, x2: H, y1: y0, y2: y0 }, svg);
      const ch = { svg, Y, y0 };
      const bars = barsOf(ch, name);
      const out = svgEl("rect", { class: "uo", y: 0, width: 1, height: VY }, svg);
      gateRows.push({ name, ch, bars, out, gv, arr, width, offset, row });
    };
    d.gate_names.forEach((g, k) => {
      const range = d.gate_kinds[k] === "tanh" ? [-1, 1] : [0, 1];
      addRow(g, `${g}: ${d.gate_titles[k].replace(/ [a-z]$/, "")} [${range.join(", ").replace("-", "−")}]`, range,
        A.gates, G * H, k * H);
    });
    if (A.c) addRow("c", tx.cell_state, d.ranges.c, A.c, H, 0);
    const gx = el("div", "gxax", gp);
    unitTicks(gx);
  }

  // ---- equation
  const eqBox = el("div", "eq", rp);
  const eqHead = el("div", "eqhead", eqBox);
  const eqTitle = el("span", "eqtitle", eqHead);
  const unitL = el("label", "", eqHead, tx.unit_label);
  const unitIn = el("input", "", unitL);
  Object.assign(unitIn, { type: "number", min: "0", max: String(H - 1), step: "1" });
  unitIn.setAttribute("aria-label", "Unit");
  el("span", "upd", eqHead, "updating…");
  const eqRows = el("div", "eqrows", eqBox);
  const eqCap = el("div", "eqcap", eqBox);
  let slotEls = [], unitEls = [], inputEls = [];
  function buildEquation() {
    eqRows.textContent = "";
    for (const r of eq.tpl.rows) {
      const row = el("div", "eqrow", eqRows);
      row.dataset.row = r.name;
      el("div", "sym", row).innerHTML = r.sym; // MathML written by rnnviz/player_spec.py (no user text)
      el("div", "num", row).innerHTML = r.num;
    }
    const names = eq.tpl.slots;
    slotEls = names.map((n) => Array.from(eqRows.querySelectorAll(`[data-slot="${n}"]`)));
    eq.shownUnit = eq.shownInput = null;
    unitEls = Array.from(eqRows.querySelectorAll('[data-idx="unit"]'));
    inputEls = Array.from(eqRows.querySelectorAll('[data-idx="input"]'));
  }
  buildEquation();

  // ---- text for screen readers (and a small visible caption)
  const capt = el("div", "capt", rp);
  capt.setAttribute("aria-hidden", "true");
  const live = el("div", "sr", rp);
  live.setAttribute("aria-live", "polite");
  live.setAttribute("role", "status");

  root.appendChild(rp);

  // ---------------------------------------------------------------- state and drawing
  const s = {
    sig: d.sig, T, H, step: 0, unit: 0, speed: clamp(Number(d.speed) || 2, 0.5, 10), seq: undefined,
    send: null, timer: null, el: rp, calls: keep ? keep.calls : 0,
  };
  const sent = { step: null, unit: null, speed: null };
  if (keep) {
    s.step = clamp(keep.step, 0, T - 1);
    s.unit = clamp(keep.unit, 0, H - 1);
    s.speed = keep.speed;
    s.seq = keep.seq;
    Object.assign(sent, keep.sent);
  } else {
    // the first render: Python's state starts at the command (player() passes it as `default`)
    s.step = clamp(d.cmd.step, 0, T - 1);
    s.unit = clamp(d.cmd.unit, 0, H - 1);
    s.seq = d.cmd.seq;
    Object.assign(sent, { step: s.step, unit: s.unit, speed: s.speed });
  }
  spdIn.value = String(s.speed);
  spdOut.textContent = `${s.speed} /s`;

  // a lesson's answer (d.highlight): its equation slot, output bar and input steps are outlined
  // while the player is at its step and unit (null: any)
  let hl = d.highlight || null, hlShown = false;
  function drawHighlight() {
    const on = !!hl && (hl.step == null || hl.step === s.step) && (hl.unit == null || hl.unit === s.unit);
    if (!on && !hlShown) return; // nothing outlined, nothing to outline: no DOM work while stepping
    for (const e of rp.querySelectorAll(".hl")) e.classList.remove("hl");
    if (soft) soft.hlRect.setAttribute("visibility", "hidden");
    hlShown = on;
    rp.dataset.highlight = on ? "1" : "0";
    if (!on) return;
    if (hl.slot) for (const e of eqRows.querySelectorAll(`[data-slot="${CSS.escape(hl.slot)}"]`)) e.classList.add("hl");
    if (soft && hl.out != null) {
      soft.hlRect.setAttribute("x", hl.out + 0.04);
      soft.hlRect.dataset.k = hl.out;
      soft.hlRect.setAttribute("visibility", "visible");
    }
    if (!windowed) for (const k of hl.steps || []) stripCells[k]?.classList.add("hl");
  }

  let liveTimer = null;
  function draw() {
    const t = s.step, j = s.unit;
    rp.dataset.step = t;
    rp.dataset.unit = j;
    // time strip and the line above it
    const lab = d.labels[t];
    read.textContent = "";
    read.append(`step ${t}: ${tx.reading} `);
    el("b", "", read, quoted(lab));
    let nextTxt = "";
    if (A.tn) {
      const nx = A.tn[t];
      if (nx >= 0) {
        nextTxt = d.out_labels[nx];
        read.append(` · ${tx.true_next}: `);
        el("b", "", read, quoted(nextTxt));
      }
    }
    if (windowed) {
      for (let i = -WIN; i <= WIN; i++) {
        const u = t + i;
        stripCells[i + WIN].textContent = u >= 0 && u < T ? d.labels[u] : "";
      }
    } else {
      for (const c of strip.querySelectorAll(".cur")) c.classList.remove("cur");
      stripCells[t].classList.add("cur");
    }
    // heatmap cursor and chosen cell
    cursor.setAttribute("x", t);
    cursor.dataset.step = t;
    for (const r of [cellO, cellI]) { r.setAttribute("x", t); r.setAttribute("y", H - 1 - j); }
    // controls
    slider.value = String(t);
    slider.setAttribute("aria-valuetext", `step ${t} of ${T - 1}, reading ${lab}`);
    prevB.disabled = t <= 0;
    nextB.disabled = t >= T - 1;
    pos.textContent = `step ${t} of ${T - 1}`;
    // bars
    const off = t * H;
    drawBars(hCh, hBars, A.h, off, true);
    drawBars(dCh, dBars, A.dh, off, true);
    const hv = A.h[off + j], dv = A.dh[off + j];
    hCh.ro.textContent = `unit ${j}: ${fmt4(hv)}`;
    hCh.ro.dataset.value = String(hv);
    dCh.ro.textContent = `unit ${j}: ${fmtSigned(dv)}`;
    dCh.ro.dataset.value = String(dv);
    uo.forEach((r) => r.setAttribute("x", j));
    // softmax
    let guesses = "";
    if (soft) {
      const po = t * O;
      const { rects, isTop } = soft;
      isTop.fill(0);
      for (let i = 0; i < K; i++) isTop[A.top[t * K + i]] = 1;
      for (let k = 0; k < O; k++) {
        const p = A.probs[po + k];
        const y = VY * (1 - clamp(p, 0, 1) / SOFT_HI);
        const r = rects[k];
        r.setAttribute("y", y);
        r.setAttribute("height", VY - y);
        const cls = isTop[k] ? "b top" : "b";
        if (r.__cls !== cls) { r.setAttribute("class", cls); r.__cls = cls; }
        r.dataset.value = String(p);
      }
      const parts = [];
      // labels of neighbouring bars would overlap: lift one a line when two sit closer than ~3 labels'
      // width at a similar height (no layout read: the chart is assumed >= ~400 px wide)
      const near = Math.max(1, (O * 34) / 400);
      const placed = [];
      for (let i = 0; i < K; i++) {
        const k = A.top[t * K + i];
        const p = A.probs[po + k];
        const l = soft.labs[i];
        let lift = 0;
        while (placed.some(([k2, p2, l2]) => l2 === lift && Math.abs(k2 - k) < near && Math.abs(p2 - p) < 0.15)) lift++;
        placed.push([k, p, lift]);
        l.textContent = Number.isFinite(p) ? p.toFixed(2) : fmt4(p);
        l.dataset.k = k;
        l.dataset.value = String(p);
        l.style.left = `${((k + 0.5) / O) * 100}%`;
        l.style.top = `calc(${(1 - clamp(p, 0, 1) / SOFT_HI) * 100}% - ${lift * 1.15}em)`;
        parts.push(`${quoted(d.out_labels[k])} ${Math.round(p * 100)}%`);
      }
      guesses = ` Top guesses: ${parts.join(", ")}.`;
      const nx = A.tn ? A.tn[t] : -1;
      if (nx >= 0) {
        const p = A.probs[po + nx];
        const y = VY * (1 - clamp(p, 0, 1) / SOFT_HI);
        soft.tnRect.setAttribute("x", nx + 0.12);
        soft.tnRect.setAttribute("y", y);
        soft.tnRect.setAttribute("height", VY - y);
        soft.tnRect.setAttribute("visibility", "visible");
        soft.tnRect.dataset.k = nx;
        soft.tnLab.hidden = false;
        soft.tnLab.style.left = `${((nx + 0.5) / O) * 100}%`;
        soft.tnLab.style.top = `${(y / VY) * 100}%`;
        guesses += ` True next: ${quoted(nextTxt)} ${Math.round(p * 100)}%.`;
      } else {
        soft.tnRect.setAttribute("visibility", "hidden");
        soft.tnLab.hidden = true;
      }
    }
    // gates and cell state
    if (gateRows) {
      for (const g of gateRows) {
        const o = t * g.width + g.offset;
        drawBars(g.ch, g.bars, g.arr, o, g.name === "c" || g.name === "g" || g.name === "n");
        g.out.setAttribute("x", j);
        const v = g.arr[o + j];
        g.gv.textContent = `unit ${j}: ${fmt4(v)}`;
        g.gv.dataset.value = String(v);
      }
    }
    drawEquation();
    drawHighlight();
    // text for people who do not see the charts
    const said = `Step ${t} of ${T - 1}: reading ${quoted(lab)}.${guesses}`;
    capt.textContent = said;
    clearTimeout(liveTimer); // a screen reader hears where stepping stopped, not every frame of Play
    liveTimer = setTimeout(() => { live.textContent = said; }, 300);
    announce();
  }
  // other views in the page (the unrolled view) follow the step in the browser: no round trip
  function announce() {
    window.dispatchEvent(new CustomEvent("rnnviz:step", {
      detail: { step: s.step, unit: s.unit, T, H, speed: s.speed, playing: Boolean(s.timer) },
    }));
  }
  function drawEquation() {
    const t = s.step, j = s.unit;
    eqTitle.textContent = `${tx.equation}: unit ${j} at step ${t}`;
    if (document.activeElement !== unitIn && root.activeElement !== unitIn) unitIn.value = String(j);
    // only what changed: setting even the same text re-lays out the whole <math> element
    if (eq.shownUnit !== j) { for (const u of unitEls) u.textContent = String(j); eq.shownUnit = j; }
    const inputText = quoted(d.labels[t]);
    if (eq.shownInput !== inputText) { for (const e of inputEls) e.textContent = inputText; eq.shownInput = inputText; }
    const S = eq.tpl.slots.length;
    const stale = eq.tpl.mode === "unit" && eq.unit !== j;
    eqBox.classList.toggle("stale", stale);
    const base = eq.tpl.mode === "all" ? (t * H + j) * S : t * S;
    for (let k = 0; k < S; k++) {
      const v = stale ? NaN : eq.vals[base + k];
      const txt = stale ? "…" : fmt4(v);
      for (const e of slotEls[k]) {
        if (e.textContent !== txt) e.textContent = txt;
        if (stale) delete e.dataset.value; else e.dataset.value = String(v);
      }
    }
    const hv = A.h[t * H + j];
    eqCap.textContent = `The heatmap shows ${d.symbol}[unit ${j}, step ${t}] = ${fmt4(hv)}; the last number above is that value.`;
  }

  // ---------------------------------------------------------------- reports to Python (throttled)
  let lastSent = -1e9, reportTimer = null;
  function flush() {
    clearTimeout(reportTimer);
    reportTimer = null;
    lastSent = performance.now();
    const send = s.send;
    if (!send) return;
    // several setStateValue calls in one task leave as one websocket message (Streamlit flushes on a timeout 0)
    if (s.step !== sent.step) send("step", (sent.step = s.step));
    if (s.unit !== sent.unit) send("unit", (sent.unit = s.unit));
    if (s.speed !== sent.speed) send("speed", (sent.speed = s.speed));
  }
  function report() {
    if (s.timer) return; // playing: stop() sends the final value
    const wait = lastSent + REPORT_MS - performance.now();
    if (wait <= 0) flush();
    else reportTimer ??= setTimeout(flush, wait);
  }
  /** Move the step or the unit (rounded, clamped to [0, n)): redraw and tell Python. */
  function move(key, v, n) {
    v = clamp(Math.round(v), 0, n - 1);
    if (v === s[key]) return;
    s[key] = v;
    draw();
    report();
  }
  const go = (t) => move("step", t, T);
  const setUnit = (j) => move("unit", j, H);
  function stop() {
    if (!s.timer) return;
    clearInterval(s.timer);
    s.timer = null;
    playB.textContent = "▶ Play";
    playB.setAttribute("aria-label", "Play");
    playB.setAttribute("aria-pressed", "false");
    rp.dataset.playing = "0";
    flush(); // the final value always reaches Python
  }
  function startTimer() {
    clearInterval(s.timer);
    s.timer = setInterval(() => {
      if (s.step >= T - 1) return stop();
      go(s.step + 1);
      if (s.step >= T - 1) stop();
    }, 1000 / s.speed);
  }
  function play() {
    if (T < 2) return;
    if (s.timer) return stop();
    if (s.step >= T - 1) go(0); // Play at the end starts again
    playB.textContent = "‖ Pause"; // (U+23F8 is missing from common Linux fonts)
    playB.setAttribute("aria-label", "Pause");
    playB.setAttribute("aria-pressed", "true");
    rp.dataset.playing = "1";
    startTimer();
  }

  // ---------------------------------------------------------------- events
  prevB.addEventListener("click", () => { stop(); go(s.step - 1); });
  nextB.addEventListener("click", () => { stop(); go(s.step + 1); });
  playB.addEventListener("click", play);
  slider.addEventListener("input", () => { stop(); go(Number(slider.value)); });
  slider.addEventListener("change", () => flush());
  spdIn.addEventListener("input", () => {
    s.speed = clamp(Number(spdIn.value) || 2, 0.5, 10);
    spdOut.textContent = `${s.speed} /s`;
    if (s.timer) startTimer();
    report();
  });
  unitIn.addEventListener("change", () => {
    const v = unitIn.value.trim() === "" ? NaN : Number(unitIn.value);
    if (Number.isFinite(v)) setUnit(v);
    unitIn.value = String(s.unit);
  });
  const cellAt = (ev) => {
    const r = canvas.getBoundingClientRect();
    const t = clamp(Math.floor(((ev.clientX - r.left) / r.width) * T), 0, T - 1);
    const j = clamp(H - 1 - Math.floor(((ev.clientY - r.top) / r.height) * H), 0, H - 1);
    return [t, j, r];
  };
  plot.addEventListener("mousemove", (ev) => {
    const [t, j, r] = cellAt(ev);
    tip.textContent = `step ${t} (${quoted(d.labels[t])}), unit ${j}: ${fmt4(A.h[t * H + j])}`;
    tip.style.display = "block";
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    tip.style.left = `${x + 14 + 200 > r.width ? x - 14 - tip.offsetWidth : x + 14}px`;
    tip.style.top = `${Math.max(0, y - 30)}px`;
  });
  plot.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  plot.addEventListener("click", (ev) => {
    const [t, j] = cellAt(ev);
    stop();
    rp.focus({ preventScroll: true });
    s.unit = clamp(j, 0, H - 1);
    s.step = -1; // force a redraw even when only the unit changed
    go(t);
  });
  // a click on a bar picks its unit
  for (const ch of [hCh, dCh]) {
    ch.svg.addEventListener("click", (ev) => {
      const r = ch.svg.getBoundingClientRect();
      setUnit(Math.floor(((ev.clientX - r.left) / r.width) * H));
    });
  }
  // keys work from anywhere on the page (not only when the player has focus), except while typing
  // or in a widget that uses these keys itself; preventDefault stops Home/End/arrows scrolling the page
  const onKey = (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.isComposing) return;
    const k = e.key;
    const isP = k === "p" || k === "P";
    if (!(k === "ArrowRight" || k === "ArrowLeft" || k === "Home" || k === "End" || isP)) return;
    const target = e.composedPath()[0];
    if (target !== slider && isKeyTarget(target)) return;
    if (!rp.isConnected || rp.getClientRects().length === 0) return; // not shown (another tab)
    e.preventDefault();
    if (isP) { if (!e.repeat) play(); return; }
    stop();
    if (k === "ArrowRight") go(s.step + 1);
    else if (k === "ArrowLeft") go(s.step - 1);
    else if (k === "Home") go(0);
    else go(T - 1);
  };
  window.addEventListener("keydown", onKey);
  // another view moves the step ("rnnviz:goto" {step, unit?}) or asks where it is ("rnnviz:ask")
  const onGoto = (e) => {
    const g = e.detail || {};
    if (!rp.isConnected) return;
    const t = Number.isFinite(Number(g.step)) ? Number(g.step) : s.step;
    stop();
    if (g.unit != null && Number.isFinite(Number(g.unit))) {
      const j = clamp(Math.round(Number(g.unit)), 0, H - 1);
      if (j !== s.unit) { s.unit = j; s.step = -1; } // force a redraw even when only the unit changed
    }
    go(t);
  };
  const onAsk = () => { if (rp.isConnected) announce(); };
  window.addEventListener("rnnviz:goto", onGoto);
  window.addEventListener("rnnviz:ask", onAsk);

  // ---------------------------------------------------------------- the object the entry point keeps
  s.sync = () => { if (s.step !== sent.step || s.unit !== sent.unit || s.speed !== sent.speed) report(); };
  s.snapshot = () => ({ step: s.step, unit: s.unit, speed: s.speed, seq: s.seq, sent: { ...sent }, calls: s.calls });
  s.command = (cmd) => {
    if (!cmd || cmd.seq === s.seq) return;
    s.seq = cmd.seq;
    stop();
    const t = clamp(Number(cmd.step) || 0, 0, T - 1), j = clamp(Number(cmd.unit) || 0, 0, H - 1);
    if (t === s.step && j === s.unit) return;
    s.step = t;
    s.unit = j;
    draw();
    report();
  };
  s.update = (nd) => {
    // the same model (same sig): only the equation numbers of the chosen unit, or the highlight, can differ
    const nh = nd.highlight || null;
    if (JSON.stringify(nh) !== JSON.stringify(hl)) { hl = nh; hlShown = true; drawHighlight(); }
    const vals = column(nd, "eq_vals");
    if (nd.eq.unit !== eq.unit || vals.length !== eq.vals.length || nd.eq.mode !== eq.tpl.mode) {
      eq.tpl = nd.eq;
      eq.vals = vals;
      eq.unit = nd.eq.unit;
      drawEquation();
    }
  };
  s.destroy = () => {
    stop();
    clearTimeout(reportTimer);
    clearTimeout(liveTimer);
    window.removeEventListener("keydown", onKey);
    window.removeEventListener("rnnviz:goto", onGoto);
    window.removeEventListener("rnnviz:ask", onAsk);
    rp.remove();
  };
  draw();
  return s;
}
