"""rnnviz: `streamlit run app.py`. All the page code lives in rnnviz/ui/."""
from rnnviz.ui.page import main

main()
