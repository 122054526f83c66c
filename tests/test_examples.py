"""The gallery scripts in examples/ run on small settings and draw."""

import ast
import runpy
from pathlib import Path

import matplotlib
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GALLERY = sorted(EXAMPLES.glob("plot_*.py"))

# What each script must print (on small settings too): the lines that show it
# reached its point, and how many figures it must leave open.
EXPECTED = {
    "plot_binary_threshold.py": (["tuned threshold:", "same predictions"], 1),
    "plot_multiclass_report.py": (["macro avg", "argmax -> label:"], 1),
    "plot_mixed_dataframe.py": (["embedded columns: ['island', 'sex', 'size']"], 1),
    "plot_grid_search.py": (["best parameters:", "mean_test_score"], 1),
    "plot_custom_module.py": (["ResidualMLP(", "test accuracy:"], 1),
    "plot_learning_curves.py": (["best epoch kept:", "valid_loss"], 1),
    "plot_class_imbalance.py": (["recall of 'rare'", "undersampling"], 1),
    "plot_calibration.py": (["calibrated: log loss"], 1),
    "plot_save_load.py": (["same probabilities: True", "header entries:"], 0),
}


def test_every_gallery_script_has_a_smoke_test():
    assert sorted(EXPECTED) == [p.name for p in GALLERY]


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.name)
def test_docstring_opens_with_a_title(path):
    """sphinx-gallery takes the page title from the docstring's first lines."""
    doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
    assert doc, f"{path.name} has no module docstring"
    lines = doc.strip("\n").splitlines()
    if set(lines[0]) == {"="}:  # an overline, as long as the underline
        overline, lines = lines[0], lines[1:]
        assert lines[1:2] == [overline], f"{path.name}: overline and underline"
    title, underline = lines[0], lines[1] if len(lines) > 1 else ""
    assert title.strip(), f"{path.name}: empty title"
    assert set(underline) == {"="}, f"{path.name}: no '=' line under {title!r}"
    assert len(underline) >= len(title.strip()), f"{path.name}: short underline"


@pytest.fixture
def small_headless(monkeypatch):
    """Small settings, the Agg backend, and no figure left behind."""
    import matplotlib.pyplot as plt

    monkeypatch.setenv("SKTORCH_CLF_EXAMPLES_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    backend = matplotlib.get_backend()
    plt.close("all")
    plt.switch_backend("Agg")
    yield plt
    plt.close("all")
    plt.switch_backend(backend)


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.name)
def test_example_runs(path, small_headless, capsys):
    plt = small_headless
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    lines, n_figures = EXPECTED[path.name]
    for line in lines:
        assert line in out, f"{path.name} did not print {line!r}"
    assert len(plt.get_fignums()) == n_figures
