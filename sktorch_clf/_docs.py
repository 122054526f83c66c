"""Docstring sections shared by both classifiers (numpydoc, sklearn style)."""

SHARED_PARAMETERS = """\
    categorical_features : {'from_dtype'}, array-like of int, str or bool, \
or None, default='from_dtype'
        Columns that hold categories (strings, pandas categories or integer
        codes >= 0), given as indices, names or a boolean mask;
        ``'from_dtype'`` takes a DataFrame's category and string columns (so
        a raw DataFrame needs no encoder), and finds none in an array or a
        numeric DataFrame; None embeds no column. Each categorical column
        gets a learned embedding (``round(1.6 * n ** 0.56)`` wide, at most 32,
        for ``n`` categories plus two) instead of one-hot columns; the
        categories are learned in fit (``categories_``), and missing values
        and categories not seen in fit have slots of their own at predict.
    hidden_layer_sizes : array-like of int, default=(100,)
        Widths of the hidden layers of the default MLP (``module=None``).
    activation : str or torch.nn.Module class, default='relu'
        Hidden activation of the default MLP: 'relu', 'tanh', 'logistic',
        'identity', 'gelu', 'leaky_relu', 'elu', 'selu', 'silu', or a class.
    dropout : float, default=0.0
        Dropout probability after each hidden activation of the default MLP.
    batch_norm : bool, default=False
        Add ``BatchNorm1d`` after each hidden linear layer of the default MLP.
    numeric_embedding : {'periodic'} or None, default=None
        Embed each numeric column of the default MLP's input with learned
        periodic features (``ReLU(W [cos(2 pi c x), sin(2 pi c x)] + b)``, 16
        frequencies, 8 wide) instead of passing its value as is.
    robust_scaling : bool, default=False
        Start the default network with a robust scaling of the numeric
        columns, fitted on the training data: centred on the median, divided
        by the interquartile range / 1.349 (not scaled where that is 0, e.g.
        one-hot columns), then clipped softly (``z / sqrt(1 + (z / 3) ** 2)``,
        never beyond 3), so that heavy tails and outliers stay in range. It
        is a layer of ``module_`` (saved with it); the CPU fast path keeps it.
    ensemble_size : int, default=4
        Train this many members of the default network together, TabM-style:
        each sees the input times its own learned sign vector, all share the
        hidden layers, each has its own output layer; training minimises the
        mean of their losses and ``predict_proba`` averages their
        probabilities. Above 1 the CPU fast path does not apply, and a
        step costs about ``ensemble_size`` times the arithmetic. 1 is a
        plain MLP, as MLPClassifier's.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'} or torch.optim class, \
default='adam'
        The optimizer. Fused kernels are used where torch has them.
    optimizer_kwargs : dict, default=None
        Extra optimizer arguments, e.g. ``{"momentum": 0.9}`` for SGD.
    lr : float, default=3e-3
        Learning rate (MLPClassifier's ``learning_rate_init``, 1e-3 there).
    lr_schedule : {'constant', 'cosine'}, default='constant'
        'cosine' lowers the learning rate each epoch from ``lr`` to ``lr / 100``
        along half a cosine over ``max_epochs`` epochs (over the first
        ``max_epochs`` calls of ``partial_fit``). Not with an ``LRScheduler``
        callback.
    weight_decay : float, default=0.0
        L2 penalty (``weight_decay`` of the torch optimizer).
    batch_size : int, default=200
        Mini-batch size.
    max_epochs : int, default=500
        Maximum number of passes over the training data. Training stops
        earlier, as in MLPClassifier, once the monitored value (training loss,
        or the validation ``scoring`` with ``early_stopping``) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; reaching ``max_epochs``
        before that emits a ``ConvergenceWarning``. A ceiling, higher than
        MLPClassifier's 200 ``max_iter``: a table of a few hundred rows is one
        mini-batch, one step per epoch, and its validation loss can still be
        improving after 200.
    early_stopping : bool, default=True
        Set aside a stratified ``validation_fraction`` of the training data,
        stop when its ``scoring`` stops improving, and keep the weights of the
        best epoch (``best_epoch_``). With ``ensemble_size > 1`` the
        validation is cross-fitted: each member sets aside a slice of its own
        and trains on every other row (see ``validation_fraction``). False
        trains on every row and stops on the training loss (MLPClassifier's
        default). ``partial_fit`` never holds rows out.
    scoring : {'loss', 'accuracy'}, default='loss'
        What early stopping monitors on the validation split: accuracy (at
        ``threshold`` for the binary classifier), or the log loss. The best
        epoch's weights are kept either way; ``validation_scores_`` holds
        accuracies, or log losses negated (higher is better).
    validation_fraction : float, default=0.1
        Share of the training data used for validation with
        ``early_stopping`` (at least one sample per class). An ensemble
        (``ensemble_size > 1``) holds out this share once per member, in
        disjoint stratified slices: every row trains all the members but
        the one holding it out, and each held-out row is scored by the
        member that never trained on it (``valid_loss`` / ``valid_acc`` in
        ``history_``). Where the slices would leave fewer rows than classes
        to train on (``ensemble_size * validation_fraction`` near 1), the
        members share one split.
    n_iter_no_change : int, default=10
        Epochs without an improvement of more than ``tol`` before stopping.
    tol : float, default=1e-4
        Minimal improvement of the training loss (or of the validation
        ``scoring`` with ``early_stopping``) that counts. Set
        ``n_iter_no_change=max_epochs`` to always train ``max_epochs`` epochs.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, keyed by the original labels
        (strings allowed); 'balanced' weighs inversely to class frequency.
        Multiplies ``sample_weight``.
    warm_start : bool, default=False
        When True, ``fit`` continues training the current network (weights
        and optimizer state) instead of building a new one.
    callbacks : list of skorch callbacks, default=None
        Passed to the skorch engine: ``LRScheduler``, ``GradientNormClipping``,
        ``Checkpoint``, ``ProgressBar``, ``TensorBoard`` and friends. They
        are copied at each fit, never modified.
    device : str, default='cpu'
        'cpu', 'cuda', 'cuda:N', 'mps' or 'auto' (first accelerator found,
        else CPU).
    cuda_graphs : 'auto' or bool, default='auto'
        On CUDA, record the training step (forward, backward and the
        optimizer's update) once as a CUDA graph and replay it for every
        full batch: one launch instead of dozens, many times faster for
        small networks. It applies with fused Adam / AdamW (the default) or
        SGD and no per-batch callbacks; the last, shorter batch and steps
        that cannot be recorded run eagerly. 'auto' records the built-in
        MLP only; True opts a custom module in, which is safe only if its
        ``forward`` neither reassigns tensor attributes nor depends on
        Python state that changes between calls. Ignored on the CPU and MPS.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout. The same int
        gives identical results on CPU; global RNG state is left untouched.
    verbose : int, default=0
        Print a per-epoch table when positive.
"""

SHARED_ATTRIBUTES = """\
    is_categorical_ : ndarray of shape (`n_features_in_`,) of bool or None
        Which columns were embedded as categorical, None when none was.
    categories_ : list of ndarray or None
        The categories of each categorical column, sorted, as seen in fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when X was a DataFrame with string column names.
    module_ : torch.nn.Module
        The trained network.
    net_ : skorch.NeuralNet
        The skorch net that trained it.
    history_ : skorch.History
        Per-epoch training record of every epoch since the network was
        built: a ``warm_start`` fit or ``partial_fit`` adds to it.
    history_df_ : pandas.DataFrame
        ``history_`` as a DataFrame indexed by epoch, for plotting.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    best_loss_ : float
        Lowest training loss reached.
    validation_scores_ : list of float or None
        The validation ``scoring`` of each epoch with ``early_stopping``
        (accuracy, or the negated log loss), else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, else None.
    best_epoch_ : int or None
        The (1-based) epoch whose weights were kept by ``early_stopping``.
    n_iter_ : int
        Number of epochs run (all calls, with ``warm_start`` or
        ``partial_fit``).
"""


def fill_doc(cls: type) -> type:
    """Put the shared Parameters and Attributes entries into ``cls``'s doc."""
    cls.__doc__ = cls.__doc__.replace(
        "    {shared_parameters}\n", SHARED_PARAMETERS
    ).replace("    {shared_attributes}\n", SHARED_ATTRIBUTES)
    return cls
