"""Sphinx configuration of the sktorch_clf documentation site.

Build (offline, warnings are errors), from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``SKTORCH_CLF_EXAMPLES_SMALL=1`` runs the gallery examples on small settings.
"""

from __future__ import annotations

import re
from importlib.metadata import version as _dist_version
from pathlib import Path

import sktorch_clf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

project = "sktorch_clf"
author = "sktorch_clf developers"
copyright = "sktorch_clf developers"
release = _dist_version("sktorch-clf")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_api_table.rst"]

# -- Markdown (the user guide's Markdown files are the source of truth) --------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- API reference -------------------------------------------------------------
# The reference lists every name of sktorch_clf.__all__: the table is written
# here (not tracked) and included by api.rst.
API_TABLE = "_api_table.rst"
autosummary_generate = ["api.rst", API_TABLE]
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # only the plot_*.py scripts run; quickstart.py and dask_grid_search.py are
    # command-line programs (the guide and the Dask page show them)
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(quickstart|dask_grid_search)\.py$|/_",
    "doc_module": ("sktorch_clf",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sktorch_clf": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "plot_gallery": "True",
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sktorch_clf {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_sidebars = {"changelog": [], "comparison": []}

# -- Pages written next to the guide ------------------------------------------
# The user guide lists guide.md and dask.md, then each of these that exists,
# then any other Markdown page in docs/, so that a new page is never left out.
USER_GUIDE_ORDER = ["guide", "dask", "tabular", "deploy", "cli"]
OWN_PAGES = {"index", "getting_started", "comparison", "changelog", "api"}


def user_guide_pages() -> list[str]:
    present = {p.stem for p in HERE.glob("*.md")} - OWN_PAGES
    ordered = [name for name in USER_GUIDE_ORDER if name in present]
    return ordered + sorted(present - set(ordered))


def write_api_table() -> None:
    names = "".join(f"   {name}\n" for name in sorted(sktorch_clf.__all__))
    table = (
        ".. currentmodule:: sktorch_clf\n\n"
        ".. autosummary::\n"
        "   :toctree: generated/\n"
        "   :template: autosummary.rst\n"
        "   :nosignatures:\n\n" + names
    )
    path = HERE / API_TABLE
    if not path.exists() or path.read_text() != table:
        path.write_text(table)


write_api_table()


def _fill_placeholders(app, docname, source):
    # benchmarks/README.md is on the site as part of the comparison page
    source[0] = source[0].replace("](../benchmarks/README.md", "](comparison.md")
    if docname == "user_guide":
        pages = "\n".join(f"   {name}" for name in user_guide_pages())
        source[0] = source[0].replace("   {user_guide_pages}", pages)


_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]+?)(?:\s*<[^>]*>)?`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    """Methods inherited from scikit-learn (``score``, ``set_fit_request``)
    refer to labels of scikit-learn's own site; show them as plain text."""
    if getattr(obj, "__module__", "").startswith("sklearn"):
        lines[:] = [_SKLEARN_ROLE.sub(r"*\1*", line) for line in lines]


def setup(app):
    app.connect("source-read", _fill_placeholders)
    app.connect("autodoc-process-docstring", _plain_sklearn_roles)
