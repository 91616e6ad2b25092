"""A tiny Streamlit app shaped like rnnviz's page, for the protocol load client's tests
(tests/test_load_client.py): keyed widgets ``w_hidden`` (full rerun), ``preset`` (a selectbox
that resets itself), and a fragment holding ``w_step``, the ``prev``/``next`` buttons and a
components-v2 element keyed ``player``. The URL holds ``hidden``; the page echoes what it got
as text, so a test checks the server's view, not the client's own bookkeeping."""
import streamlit as st

BIG = "x" * 12_000  # above global.minCachedMessageSize (10 kB): cacheable, sent by reference when cached

player = st.components.v2.component("tiny_player", html="<div></div>", js="export default function () {}")

if "w_hidden" not in st.session_state:
    st.session_state["w_hidden"] = int(st.query_params.get("hidden", 8))
st.session_state.setdefault("presets", 0)


def _on_preset() -> None:
    if st.session_state["preset"] == "beta":
        st.session_state["w_hidden"] = 30
    st.session_state["presets"] += 1
    st.session_state["preset"] = None


hidden = st.slider("Hidden size", 1, 64, key="w_hidden")
st.selectbox("Preset", ["alpha", "beta"], index=None, key="preset", on_change=_on_preset)
st.markdown(f"full hidden={hidden} presets={st.session_state['presets']}")
st.markdown(BIG)
if hidden == 57:
    raise ValueError("fifty-seven is not allowed")
st.query_params["hidden"] = str(hidden)


def _shift(delta: int) -> None:
    st.session_state["w_step"] = min(max(st.session_state["w_step"] + delta, 0), 9)


@st.fragment
def steps() -> None:
    step = st.slider("Time step", 0, 9, 0, key="w_step")
    st.button("Prev", key="prev", on_click=_shift, args=(-1,))
    st.button("Next", key="next", on_click=_shift, args=(1,))
    result = player(key="player", data={"length": 10}, default={"step": 0, "unit": 0},
                    on_step_change=lambda: None, on_unit_change=lambda: None)
    st.markdown(f"fragment step={step} player step={result.step} unit={result.unit}")


steps()
