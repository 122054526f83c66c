"""Export to ONNX (the ``onnx`` extra: skl2onnx, onnx, onnxruntime).

Importing this package needs none of them; :func:`to_onnx` and
:func:`register_converters` import skl2onnx when called.
"""

from __future__ import annotations

_EXTRA = (
    "ONNX export needs skl2onnx and onnx (and onnxruntime to run the "
    'model): pip install "sktorch-clf[onnx]"'
)


def _converters():
    try:
        from . import _convert
    except ImportError as exc:
        raise ImportError(f"{_EXTRA} ({exc})") from exc
    return _convert


def register_converters() -> None:
    """Register both estimators' converters with skl2onnx, so that
    ``skl2onnx.to_onnx`` converts them alone or at the end of a Pipeline."""
    _converters().register_converters()


def to_onnx(model, X_sample, *, target_opset=None, options=None):
    """Convert a fitted estimator, or a Pipeline ending in one, to ONNX.

    Registers the converters and calls ``skl2onnx.to_onnx``. The graph
    holds the whole model: the pipeline's transformers, the network
    (exported with ``torch.onnx.export``) and the head, so that
    onnxruntime's labels equal ``predict`` and its probabilities
    ``predict_proba`` (to float32 rounding). Needs the ``onnx`` extra.

    The inputs follow ``X_sample``: an array gives one input ``"X"`` of its
    width; a DataFrame gives one input per column, named as the column, of
    shape ``(n, 1)``. Float data becomes float32 inputs (as onnxruntime's
    scikit-learn operators need), integers int64, booleans bool, and
    string, object and category columns strings. A categorical column the
    estimator embeds itself (``categorical_features``) maps its strings
    inside the graph: a string not seen in fit to the unseen slot, and
    ``""`` to the missing one (pass missing strings as ``""``). The outputs
    are ``"label"`` and ``"probabilities"``: with skl2onnx's default
    ZipMap, a list with a dict per row; an ``(n, n_classes)`` float32
    tensor with ``options={id(clf): {"zipmap": False}}``.

    Parameters
    ----------
    model : TorchBinaryClassifier, TorchMulticlassClassifier or Pipeline
        A fitted estimator, or a fitted Pipeline whose last step is one.
    X_sample : ndarray or DataFrame
        A few rows of the model's input, for the input names and types.
    target_opset : int or dict, default=None
        The ONNX opset (skl2onnx's default when None).
    options : dict, default=None
        Converter options (``zipmap``, ``nocl``, ``output_class_labels``),
        keyed by ``id(estimator)`` or its class, as in ``skl2onnx.to_onnx``.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; write it with ``onnx_model.SerializeToString()``.

    Raises
    ------
    RuntimeError
        When ``torch.onnx.export`` cannot export ``module_`` (naming the
        module and torch's reason).
    """
    return _converters().to_onnx(
        model, X_sample, target_opset=target_opset, options=options
    )
