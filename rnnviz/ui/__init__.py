"""Streamlit-only code: the sidebar (controls.py), the session state (state.py), the tabs (views/)."""
