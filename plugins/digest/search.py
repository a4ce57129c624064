"""The site's search index: Pagefind run over output/ at the end of every Pelican build.

Running it from the plugin, not from a task, keeps search working after `pelican -r`,
`invoke livereload` and any build a user starts their own way.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def index_site(output_path: Path, timeout: float = 300.0) -> bool:
    """Write output/pagefind/; False (with the reason logged) when it could not be built."""
    command = [sys.executable, "-m", "pagefind", "--quiet", "--site", str(output_path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        log.error("digest: the search index of %s was not built: %s", output_path, err)
        return False
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        log.error("digest: the search index of %s was not built: %s", output_path, reason[0])
        return False
    return True
