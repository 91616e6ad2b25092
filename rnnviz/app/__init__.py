"""Application logic, NumPy only (no streamlit): the knob table and its URL codec, the rules and
work limits that keep a configuration consistent, presets, inputs, notation and the computation
of what a page shows."""
