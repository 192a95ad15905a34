"""The dashboard's pages, one module each; `floop/dashboard/app.py` routes to their `render()`."""
