"""The tests' copy of the repository's site: what a Pelican build in a temporary folder
needs, without Python's bytecode caches."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_site(root: Path, names: Iterable[str]) -> None:
    """Copy the named files and folders of the repository into root (names that do not exist
    are skipped)."""
    for name in names:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, root / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, root / name)
