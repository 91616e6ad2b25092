"""Drawing only: arrays (or a trace's arrays) in, a Plotly figure spec out; no Streamlit, no state.

style.py holds the one convention (colours, scales, fonts, float32 typed-array encoding);
step.py the time-step views, model.py whole-model views, explore.py training and exploration.
"""
