"""Quick start: a PyTorch network as a scikit-learn classifier.

Binary: breast-cancer diagnosis (string labels, sigmoid + threshold).
Multiclass: wine cultivars (softmax + argmax), with a small grid search.
Both datasets ship with scikit-learn, so this runs offline.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

# --- binary: string labels in, string labels out ---------------------------
data = load_breast_cancer(as_frame=True)
X, y = data.data, data.target_names[data.target]  # 'malignant' / 'benign'
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

model = make_pipeline(
    StandardScaler(),
    TorchBinaryClassifier(hidden_layer_sizes=(32,), lr=1e-2, random_state=0),
)
model.fit(X_train, y_train)
clf = model[-1]
print("classes_:", clf.classes_, "(predict_proba[:, 1] is P(classes_[1]))")
print(classification_report(y_test, model.predict(X_test), digits=3))

# The threshold is a plain parameter: no refit to trade precision for recall.
# A lower threshold flags more tumours as 'malignant' (the positive class).
for threshold in (0.1, 0.5, 0.9):
    clf.set_params(threshold=threshold)
    recall = np.mean(model.predict(X_test)[y_test == "malignant"] == "malignant")
    print(f"threshold={threshold}: recall of 'malignant' = {recall:.3f}")
clf.set_params(threshold=0.5)

# --- multiclass: cross-validation and grid search ---------------------------
X, y = load_wine(return_X_y=True, as_frame=True)
pipe = make_pipeline(
    StandardScaler(), TorchMulticlassClassifier(lr=1e-2, random_state=0)
)
scores = cross_val_score(pipe, X, y, cv=5)
print(f"wine, 5-fold accuracy: {scores.mean():.3f} +/- {scores.std():.3f}")

search = GridSearchCV(
    pipe,
    {
        "torchmulticlassclassifier__hidden_layer_sizes": [(16,), (64, 32)],
        "torchmulticlassclassifier__lr": [1e-2, 3e-2],
    },
    cv=3,
    n_jobs=2,
).fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
