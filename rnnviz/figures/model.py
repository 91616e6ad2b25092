"""Figures of the whole model, all steps at once: state heatmaps, gates over time, weight
matrices, the bidirectional concatenation, dense inputs. No Streamlit. (The page's own step
views are drawn in the browser by the step player: figures/player.py.)"""
from __future__ import annotations

import numpy as np

from .style import DIVERGING, FONT, MARGIN, colorscale, f32, heading, spec, time_axis, value_range

MAX_ANNOTATED = 120  # matrices this small get their numbers written in


def units_heatmap(
    values: np.ndarray,
    step_labels: list[str],
    *,
    title: str,
    kind: str = "tanh",
    colorbar_title: str = "h",
    height: int | None = None,
) -> dict:
    """Units x time heatmap of a ``(T, H)`` array (the step player draws the page's own, clickable one)."""
    T, H = values.shape
    zmin, zmax = value_range(values, kind)
    z = f32(values.T)
    heat = dict(
        type="heatmap", z=z, zmin=zmin, zmax=zmax,
        colorscale=colorscale(kind),
        colorbar=dict(title=dict(text=colorbar_title), thickness=14, x=1.01, xanchor="left"),
        hovertemplate="step %{x}, unit %{y}: %{z:.4f}<extra></extra>",
    )
    layout = dict(
        title=heading(title), margin=MARGIN, font=FONT, height=height or max(260, min(620, 120 + 18 * H)),
        dragmode=False, plot_bgcolor="white",
        xaxis=time_axis(step_labels, title=dict(text="time step (input read)", standoff=12)),
        yaxis=dict(title=dict(text="unit"), range=[-0.5, H - 0.5], autorange=False),
    )
    return spec([heat], layout)


def gates_figure(gates: dict[str, tuple[np.ndarray, str]], step_labels: list[str], *, title: str) -> dict:
    """One heatmap per gate / state: ``{name: ((T, H) values, kind)}``, stacked on a shared time axis.

    ``kind`` is "sigmoid" ([0, 1]), "tanh" ([-1, 1]) or "free" (symmetric around 0).
    """
    n = len(gates)
    gap = 0.06
    height = (1 - gap * (n - 1)) / n
    data, annotations, layout = [], [], {}
    for k, (name, (values, kind)) in enumerate(gates.items()):
        zmin, zmax = value_range(values, kind)
        suffix = "" if k == 0 else str(k + 1)
        top = 1 - k * (height + gap)
        data.append(dict(
            type="heatmap", z=f32(values.T), zmin=zmin, zmax=zmax, showscale=False, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            colorscale=colorscale(kind),
            hovertemplate=f"{name.split(':')[0]}: step %{{x}}, unit %{{y}}: %{{z:.4f}}<extra></extra>",
        ))
        last = k == n - 1
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", matches="x" if k else None, showticklabels=last,
                                        **(time_axis(step_labels) if last else {}))
        if not k:
            del layout["xaxis"]["matches"]
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=[max(top - height, 0), top], title=dict(text="unit"))
        annotations.append(dict(text=name, x=0.5, y=top, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                                showarrow=False, font=dict(size=15)))
    H = next(iter(gates.values()))[0].shape[1]
    layout.update(title=heading(title), annotations=annotations, font=FONT, margin=dict(MARGIN, r=24, t=80),
                  height=min(1600, n * max(150, min(300, 60 + 10 * H)) + 100))
    return spec(data, layout)


def matrix_heatmap(array: np.ndarray, *, title: str, rows: str, cols: str) -> dict:
    """A weight matrix (or a bias column) as a heatmap on a symmetric colour scale, numbers written in when small."""
    zmin, zmax = value_range(array, "free")
    r, _ = array.shape
    heat = dict(type="heatmap", z=f32(array), zmin=zmin, zmax=zmax, colorscale=DIVERGING, colorbar=dict(thickness=12),
                hovertemplate="[%{y}, %{x}] = %{z:.4f}<extra></extra>")
    if array.size <= MAX_ANNOTATED:
        heat.update(texttemplate="%{z:.2f}", textfont=dict(size=12))
    layout = dict(title=heading(title), height=max(220, min(520, 110 + 14 * r)), margin=dict(l=56, r=16, t=48, b=40),
                  font=FONT, yaxis=dict(title=dict(text=rows), autorange="reversed"), xaxis=dict(title=dict(text=cols)))
    return spec([heat], layout)


def concat_figure(h_fwd: np.ndarray, h_rev: np.ndarray, step_labels: list[str], *, kind: str = "tanh",
                  title: str = "output[t] = [forward h_t ; reverse h_t] (PyTorch's concatenation)",
                  halves: tuple[str, str] = ("forward half<br>(has read x[0..t])",
                                             "reverse half<br>(has read x[t..T-1])")) -> dict:
    """[h_fwd[t]; h_rev[t]]: both halves stacked on the same time axis, as concatenated. ``title``
    and ``halves`` (the labels of the two halves) say what the layer read (``app.prose.bidirectional_text``)."""
    H = h_fwd.shape[1]
    fig = units_heatmap(np.concatenate([h_fwd, h_rev], axis=1), step_labels, kind=kind,
                        title=title, colorbar_title="output")
    fig["data"][0]["colorbar"].update(x=1.0)
    layout = fig["layout"]
    layout["shapes"] = [dict(type="line", xref="paper", x0=0, x1=1, y0=H - 0.5, y1=H - 0.5, line=dict(color="black", width=3))]
    layout["annotations"] = [
        dict(x=1.0, xref="paper", y=y, xanchor="left", text=text, showarrow=False, xshift=86, font=dict(size=13), align="left")
        for y, text in ((H / 2 - 0.5, halves[0]), (H + H / 2 - 0.5, halves[1]))
    ]
    layout["margin"] = dict(MARGIN, r=230)
    layout["yaxis"]["title"] = dict(text="output feature (forward units, then reverse units)")
    return fig


def inputs_heatmap(x: np.ndarray, step_labels: list[str], *, title: str, annotate: bool) -> dict:
    """Dense inputs ``(T, I)`` as features x time; the numbers written in when small."""
    _, I = x.shape
    fig = units_heatmap(x, step_labels, title=title, kind="free", colorbar_title="x",
                        height=max(180, min(400, 100 + 26 * I)))
    if annotate:  # the numbers are written in; a colour bar this short would only be clutter
        fig["data"][0].update(texttemplate="%{z:.3g}", textfont=dict(size=14), showscale=False)
    fig["layout"]["yaxis"]["title"] = dict(text="feature")
    return fig


