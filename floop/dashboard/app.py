"""The floop dashboards (Streamlit + Altair), started by `floop dashboard` (see __init__.py):
this script only routes the URL to a page of floop/dashboard/views/.

Rule of every page: a number on screen is a value of a mart row. The pages select and filter
rows (and let Altair draw them); they never recompute a rate, a share or a percentile.
"""

from __future__ import annotations

import streamlit as st

from floop.dashboard.data import warehouse_path
from floop.dashboard.views import (
    compare,
    datasets,
    experiments,
    labels,
    overview,
    review,
    session,
    versions,
    what_changed,
)


def main() -> None:
    st.set_page_config(page_title="floop", layout="wide")
    warehouse = warehouse_path()
    if not warehouse.exists():
        st.error(f"{warehouse} does not exist: run `floop run` first.")
        return
    # url_path values are the pages' public URLs (/versions?workflow=..&tenant=..): keep them.
    # Streamlit serves the default page at "/" only; the hidden twin answers /overview.
    nav = st.navigation(
        [
            st.Page(overview.render, title="Overview", url_path="home", default=True),
            st.Page(overview.render, title="Overview", url_path="overview", visibility="hidden"),
            st.Page(versions.render, title="Versions", url_path="versions"),
            st.Page(compare.render, title="Compare", url_path="compare"),
            st.Page(what_changed.render, title="What changed", url_path="what_changed"),
            st.Page(experiments.render, title="Experiments & gates", url_path="experiments"),
            st.Page(session.render, title="Session", url_path="session"),
            st.Page(datasets.render, title="Datasets", url_path="datasets"),
            st.Page(labels.render, title="Labels", url_path="labels"),
            st.Page(review.render, title="Review", url_path="review"),
        ]
    )
    nav.run()


main()
