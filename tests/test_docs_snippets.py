"""Every ```python block of the README and the user guide runs as shown.

The blocks of one page run in order in one namespace (a page may build on
its earlier blocks), in a temporary directory, with matplotlib drawing off
screen, on small settings: fewer epochs and one ensemble member by default
(the snippets' own arguments are kept), and the Dask page's cluster in
threads of this process instead of worker processes.
"""

import re
import warnings
from pathlib import Path

import pytest

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

# Smaller defaults while the snippets run: keyword-only defaults live in
# __init__.__kwdefaults__, which get_params and clone read as well.
SMALL_DEFAULTS = {"max_epochs": 15, "ensemble_size": 1}

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "README.md",
    "docs/getting_started.md",
    "docs/guide.md",
    "docs/dask.md",
    "docs/comparison.md",
    "docs/tabular.md",
]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
# The Dask page on small settings: an in-process cluster, no worker processes.
SMALL_CLUSTER = {
    "LocalCluster(n_workers=2, threads_per_worker=1)": (
        "LocalCluster(n_workers=1, threads_per_worker=2, processes=False, "
        "dashboard_address=None)"
    ),
}


def python_blocks(page: str) -> list[str]:
    return BLOCK.findall((ROOT / page).read_text())


def test_small_defaults_reach_the_estimators(docs_env):
    assert TorchMulticlassClassifier().get_params()["max_epochs"] == 15
    assert TorchBinaryClassifier().max_epochs == 15


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    import sktorch_clf

    assert sktorch_clf.__version__ == version("sktorch-clf")
    assert (
        f'version = "{sktorch_clf.__version__}"'
        in (ROOT / "pyproject.toml").read_text()
    )


def test_pages_have_snippets():
    counts = {page: len(python_blocks(page)) for page in PAGES}
    assert counts["README.md"] >= 2
    assert counts["docs/guide.md"] >= 15
    assert counts["docs/getting_started.md"] == 2
    assert counts["docs/dask.md"] == 4


def run_page(page: str, replace: dict[str, str] | None = None) -> dict:
    namespace: dict = {"__name__": "__docs__"}
    for i, code in enumerate(python_blocks(page)):
        for old, new in (replace or {}).items():
            code = code.replace(old, new)
        try:
            exec(compile(code, f"{page}, python block {i + 1}", "exec"), namespace)
        except Exception as exc:
            message = f"{page}, python block {i + 1} fails:\n{code}"
            raise AssertionError(message) from exc
    return namespace


@pytest.fixture
def docs_env(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    for cls in (TorchBinaryClassifier, TorchMulticlassClassifier):
        for name, value in SMALL_DEFAULTS.items():
            monkeypatch.setitem(cls.__init__.__kwdefaults__, name, value)
    with warnings.catch_warnings():
        # snippets show what a user sees; their short fits may not converge
        warnings.simplefilter("ignore", UserWarning)
        yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("page", ["README.md", "docs/getting_started.md"])
def test_readme_and_getting_started_run(page, docs_env):
    namespace = run_page(page)
    assert "clf" in namespace or "model" in namespace


def test_guide_runs(docs_env):
    ns = run_page("docs/guide.md")
    # what the guide's text claims about the objects its snippets build
    assert list(ns["raw"].categories_[0]) == ["blue", "green", "red"]
    assert ns["clf"].__class__.__name__ == "TorchBinaryClassifier"
    assert 0 < ns["tuned"].best_threshold_ < 1
    assert (Path.cwd() / "model.safetensors").is_file()
    assert list(ns["loaded"].classes_) == ["benign", "malignant"]


def test_tabular_page_runs(docs_env):
    ns = run_page("docs/tabular.md")
    # the raw frame: city (60 levels) and plan embedded, age not
    assert list(ns["clf"].is_categorical_) == [True, True, False]
    assert ns["pipe"][-1].is_categorical_.sum() == 2
    assert ns["search"].n_iter == 12


def test_dask_page_runs(docs_env, monkeypatch):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_ml")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
        ns = run_page("docs/dask.md", SMALL_CLUSTER)
    assert ns["search"].best_params_["lr"] in (1e-3, 1e-2)
    assert ns["model"].score(ns["Xd"], ns["yd"]) > 0.5
