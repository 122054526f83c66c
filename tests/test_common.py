"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [
    TorchBinaryClassifier(random_state=0),
    TorchMulticlassClassifier(random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
