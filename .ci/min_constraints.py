"""Print pip constraints pinning each of the project's dependencies to its
lower bound in pyproject.toml, so that the minimum-versions job tests exactly
the versions the project declares. A dependency without a ``>=`` bound is an
error: the job could not say which version it vouches for.

Usage: python .ci/min_constraints.py pyproject.toml > constraints.txt
"""

import re
import sys

import tomllib  # Python >= 3.11, as on CI

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def lower_bounds(pyproject: str) -> list[str]:
    with open(pyproject, "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    pins = []
    for dependency in dependencies:
        match = REQUIREMENT.match(dependency)
        if match is None:
            sys.exit(f"cannot read the requirement {dependency!r}")
        name, _, rest = match.groups()
        specifiers = rest.split(";")[0]
        bound = re.search(r">=\s*([^,\s]+)", specifiers)
        if bound is None:
            sys.exit(f"{dependency!r} has no lower bound (>=) to test")
        pins.append(f"{name}=={bound.group(1)}")
    return pins


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml"
    print("\n".join(lower_bounds(path)))
