"""The network in the graph: ``torch.onnx.export`` of ``module_``, merged
into skl2onnx's container under unique names.

The export traces the module with torch's TorchScript-based exporter
(``dynamo=False``): for these small networks it takes milliseconds where the
``torch.export``-based one takes seconds, and it needs no onnxscript. Torch
warns that it is the legacy exporter; the warning is silenced here.
"""

from __future__ import annotations

import copy
import io
import warnings

import torch
from onnx import helper, numpy_helper
from onnx import load_model_from_string as _load_onnx

from ._graph import add_node, new_name

# The newest opset torch's TorchScript-based exporter writes.
_TORCH_MAX_OPSET = 20


def network_output(scope, container, model, rows: str) -> str:
    """``module_`` exported by torch and merged in: rows in, logits out."""
    module = copy.deepcopy(model.net_.module_).to("cpu").eval()
    opset = min(_main_opset(container), _TORCH_MAX_OPSET)
    graph = export_module(module, model.n_features_in_, opset)
    return _merge(scope, container, graph, rows)


def _main_opset(container) -> int:
    target = container.target_opset
    if isinstance(target, dict):
        target = target.get("", _TORCH_MAX_OPSET)
    return int(target)


def export_module(module: torch.nn.Module, n_features: int, opset: int):
    """The ONNX graph of ``module`` (input ``"X"``, output ``"logits"``, any
    number of rows), or a RuntimeError naming it and torch's reason."""
    sample = torch.zeros(2, n_features)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            # the TorchScript-based exporter warns that it is the legacy one
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (sample,),
                buffer,
                dynamo=False,
                input_names=["X"],
                output_names=["logits"],
                dynamic_axes={"X": {0: "n"}, "logits": {0: "n"}},
                opset_version=opset,
            )
    except Exception as exc:
        raise RuntimeError(
            f"torch.onnx.export could not export the network module_ "
            f"({type(module).__name__}): {type(exc).__name__}: {exc}. Write its "
            "forward with operators that torch exports to ONNX, or deploy it "
            "with a model file (est.save) instead"
        ) from exc
    graph = _load_onnx(buffer.getvalue()).graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise RuntimeError(
            f"The network module_ ({type(module).__name__}) exported to ONNX with "
            f"{len(graph.input)} inputs and {len(graph.output)} outputs; the "
            "estimator needs one of each (rows in, logits out)"
        )
    return graph


_SUBGRAPHS = (helper.AttributeProto.GRAPH, helper.AttributeProto.GRAPHS)


def _merge(scope, container, graph, rows: str) -> str:
    """Add ``graph``'s initializers and nodes to the container under unique
    names, its input bound to ``rows``; the name of its output."""
    names = {graph.input[0].name: rows, "": ""}
    for init in graph.initializer:
        names[init.name] = new_name(scope, "net_init")
        values = numpy_helper.from_array(numpy_helper.to_array(init))
        container.add_initializer(names[init.name], init.data_type, init.dims, values)
    for node in graph.node:
        if any(a.type in _SUBGRAPHS for a in node.attribute):
            raise RuntimeError(
                f"The exported network has a {node.op_type} node with a "
                "subgraph (control flow), which the estimator's converter "
                "cannot merge; export a network without data-dependent control "
                "flow"
            )
        inputs = [names[i] for i in node.input]
        while inputs and not inputs[-1]:  # optional inputs left out
            inputs.pop()
        if "" in inputs:
            raise RuntimeError(
                f"The exported network has a {node.op_type} node that leaves out "
                "an optional input before a given one, which skl2onnx cannot "
                "hold"
            )
        for output in node.output:
            names[output] = new_name(scope, "net") if output else ""
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        add_node(
            scope,
            container,
            node.op_type,
            inputs,
            [names[o] for o in node.output],
            domain=node.domain,
            **attributes,
        )
    return names[graph.output[0].name]
