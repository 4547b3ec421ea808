"""The layers of docs/architecture.md, as `.importlinter` writes them down, hold.

An import added against them (a room reaching up, a cycle between the modules of a package)
fails here with import-linter's account of the offending import chain.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contracts_name_every_room():
    """A new app outside every contract would escape them."""
    config = (ROOT / ".importlinter").read_text()
    rooms = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    missing = sorted(room for room in rooms if room not in config)
    assert not missing, f"add these packages to .importlinter's root_packages and layers: {missing}"
