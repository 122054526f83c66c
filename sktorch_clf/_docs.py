"""Docstring sections shared by both classifiers (numpydoc, sklearn style)."""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of int, default=(100,)
        Widths of the hidden layers of the default MLP (``module=None``).
    activation : str or torch.nn.Module class, default='relu'
        Hidden activation of the default MLP: 'relu', 'tanh', 'logistic',
        'identity', 'gelu', 'leaky_relu', 'elu', 'selu', 'silu', or a class.
    dropout : float, default=0.0
        Dropout probability after each hidden activation of the default MLP.
    batch_norm : bool, default=False
        Add ``BatchNorm1d`` after each hidden linear layer of the default MLP.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'} or torch.optim class, \
default='adam'
        The optimizer. Fused kernels are used where torch has them.
    optimizer_kwargs : dict, default=None
        Extra optimizer arguments, e.g. ``{"momentum": 0.9}`` for SGD.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty (``weight_decay`` of the torch optimizer).
    batch_size : int, default=200
        Mini-batch size.
    max_epochs : int, default=200
        Number of passes over the training data.
    device : str, default='cpu'
        'cpu', 'cuda', 'cuda:N', 'mps' or 'auto' (first accelerator found,
        else CPU).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout. The same int
        gives identical results on CPU; global RNG state is left untouched.
    verbose : int, default=0
        Print a per-epoch table when positive.
"""

SHARED_ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame with string column names.
    module_ : torch.nn.Module
        The trained network.
    net_ : skorch.NeuralNet
        The skorch net that trained it.
    history_ : skorch.History
        Per-epoch training record.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    n_iter_ : int
        Number of epochs run.
"""


def fill_doc(cls: type) -> type:
    """Put the shared Parameters and Attributes entries into ``cls``'s doc."""
    cls.__doc__ = cls.__doc__.replace(
        "    {shared_parameters}\n", SHARED_PARAMETERS
    ).replace("    {shared_attributes}\n", SHARED_ATTRIBUTES)
    return cls
