"""Shared shell for the command-line scripts: user errors become one clear line and exit code 2."""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Callable

from vision import UnknownModel, UnreadableImage, WeightsNotFound

from .storing.catalog import CatalogError
from .importing.manifests import ManifestError
from .storing.milvus_store import MilvusError
from .importing.ray_import import RayImportError

USER_ERRORS = (CatalogError, ManifestError, UnreadableImage, WeightsNotFound, UnknownModel, FileNotFoundError,
               MilvusError, RayImportError)


def run(main: Callable[[], int | None]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    warnings.showwarning = _show_warning
    try:
        code = main()
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted; what was committed is kept, run the same command again to finish", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)
