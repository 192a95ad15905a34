"""The dashboard's pages, one module each; `floop/dashboard/app.py` routes to their `render()`.

Not named `pages/`: Streamlit treats a `pages/` folder beside the entry script as a legacy
multipage app, and the first run of a fresh server then serves a blank deep link
(e.g. /versions?workflow=..) until `st.navigation` has run once.
"""
