"""Great Expectations Data Docs that render offline.

GX writes its Data Docs pages with `<script>` and `<link>` tags pointing at CDNs (jQuery,
Bootstrap, bootstrap-table, ...), so without network the index is unstyled and its list of
validations, filled in by bootstrap-table's JavaScript, stays empty. After GX renders, `bundle`
copies the vendored files (`floop/data_docs_assets/`, MIT or Apache-2.0 npm `dist/` files, see its
LICENSES.md) into the site's `static/vendor/` and points every page at them; CDN assets the
pages do not need for the validation list (Vega charts, icon fonts, a date picker, a dark theme)
are dropped, and GX's remote logo is replaced by the site's own copy. Idempotent.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "data_docs_assets"
VENDOR = Path("static") / "vendor"
# <script ... src="https://..." ...></script> and <link ... href="https://..." ...>
_SCRIPT = re.compile(r'<script\b[^>]*\bsrc="(https?://[^"]+)"[^>]*>\s*</script>', re.IGNORECASE)
_LINK = re.compile(r'<link\b[^>]*\bhref="(https?://[^"]+)"[^>]*>', re.IGNORECASE)
_REMOTE_LOGO = re.compile(r'src="https?://[^"]*great-expectations-web-assets[^"]*/([\w.-]+)\?[^"]*"')


def vendored() -> set[str]:
    return {p.name for p in ASSETS.iterdir() if p.suffix in (".js", ".css")}


def _local(url: str, prefix: str, names: set[str]) -> str | None:
    """The vendored copy of URL (matched by file name without a version: jquery-3.7.1.min.js
    is jquery.min.js), relative to the page; None if none."""
    name = re.sub(r"-\d+(\.\d+)+", "", url.rsplit("/", 1)[-1].split("?", 1)[0])
    return f"{prefix}/{name}" if name in names else None


def rewrite(html: str, prefix: str, names: set[str]) -> str:
    """HTML with every CDN script and stylesheet pointed at PREFIX/<file> or removed."""

    def script(m: re.Match[str]) -> str:
        local = _local(m.group(1), prefix, names)
        return f'<script src="{local}"></script>' if local else ""

    def link(m: re.Match[str]) -> str:
        local = _local(m.group(1), prefix, names)
        # without integrity/crossorigin: they name the CDN's bytes and origin
        return f'<link rel="stylesheet" href="{local}">' if local else ""

    html = _SCRIPT.sub(script, html)
    html = _LINK.sub(link, html)
    images = prefix.removesuffix("vendor") + "images"
    return _REMOTE_LOGO.sub(lambda m: f'src="{images}/{m.group(1)}"', html)


def bundle(site: Path) -> int:
    """Make the Data Docs site at SITE (the folder of its index.html) readable offline.
    Returns the number of pages rewritten."""
    site = Path(site)
    if not (site / "index.html").exists():
        return 0
    names = vendored()
    target = site / VENDOR
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (target / name).exists():
            shutil.copyfile(ASSETS / name, target / name)
    changed = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "https://" not in text:
            continue
        prefix = Path(os.path.relpath(target, page.parent)).as_posix()
        new = rewrite(text, prefix, names)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed
