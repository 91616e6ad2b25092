// Shared by rnnviz's browser components (the step player, the unrolled view): prepended to each
// component's own file by rnnviz/ui/client/__init__.py, so both are one ES module as Streamlit loads
// them (no package, no build step, nothing fetched).

const STATES = new WeakMap(); // parentElement -> the component's state (Streamlit re-invokes per data)
const SVGNS = "http://www.w3.org/2000/svg";

/** The cleanup Streamlit runs before each re-invocation: tear down only when the root is gone. */
function cleanupWhenGone(root, mine) {
  return () => setTimeout(() => {
    if (!root.isConnected && STATES.get(root) === mine) { mine.destroy(); STATES.delete(root); }
  });
}

/** Say why the component could not start, in its own box (`cls`: the root class). */
function showError(root, err, cls, what) {
  let box = root.querySelector(`.${cls}-error`);
  if (!box) {
    box = document.createElement("div");
    box.className = `${cls} ${cls}-error`;
    root.appendChild(box);
  }
  box.innerHTML = '<p class="err"></p>';
  box.firstChild.textContent = `The ${what} could not start: ${err && err.message ? err.message : err}`;
}

/** A one-column Arrow table ("value") as a Float32Array; null when the array was not sent. */
const column = (d, name) => {
  const t = d[name];
  if (t == null) return null;
  const col = typeof t.getChild === "function" ? t.getChild("value") : null;
  if (!col) throw new Error(`array ${name} did not arrive as Arrow data`);
  const a = col.toArray();
  return a instanceof Float32Array ? a : Float32Array.from(a);
};
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
/** A number as equations.py writes it: 4 decimals, a real minus sign; overflow said in words. */
const fmt4 = (v) => {
  if (v == null) return "…";
  if (Number.isNaN(v)) return "overflow";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "−∞";
  return v.toFixed(4).replace("-", "−");
};
const quoted = (label) => `‘${label}’`;

function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
/** ``node``'s text with the subscripts ``re`` finds (group 1 or 2) as ``sub(node, text)``, built from
 * text nodes (never markup). */
function subscripted(node, text, re, sub) {
  node.textContent = "";
  let last = 0;
  for (let m; (m = re.exec(text));) {
    if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
    sub(node, m[1] ?? m[2]);
    last = re.lastIndex;
  }
  if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  return node;
}
/** 256 [r, g, b] from [[pos, "#rrggbb"], ...] stops (linear in RGB, as Plotly interpolates). */
function colorRamp(stops) {
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.replace("#", "").slice(i - 1, i + 1), 16));
  const st = stops.map(([p, c]) => [Number(p), rgb(c)]);
  const out = [];
  for (let i = 0; i < 256; i++) {
    const u = i / 255;
    let k = 0;
    while (k < st.length - 2 && u > st[k + 1][0]) k++;
    const [p0, c0] = st[k], [p1, c1] = st[k + 1];
    const w = p1 > p0 ? clamp((u - p0) / (p1 - p0), 0, 1) : 0;
    out.push([0, 1, 2].map((j) => Math.round(c0[j] + (c1[j] - c0[j]) * w)));
  }
  return out;
}
