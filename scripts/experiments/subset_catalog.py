"""A catalog made of some of another catalog's references, without reading or embedding any photo
again: the source copied, and every reference whose photo is not in MANIFEST removed (the
calibration is refitted once). For thin catalogs cut from build/cat_all (issue 28).

    python scripts/experiments/subset_catalog.py build/cat_all build/cat_iconic build/grocery/products_iconic.csv
"""

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.judging import calibration  # noqa: E402
from index.storing.catalog import Catalog  # noqa: E402


def main(source: str, target: str, manifest: str) -> None:
    wanted = {Path(row["path"]).name for row in csv.DictReader(open(manifest, encoding="utf-8"))}
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".write.lock"))
    with Catalog.open(target, writable=True) as catalog:
        rows = catalog.db.execute("SELECT image_id, source_path FROM refs").fetchall()
        drop = [image_id for image_id, path in rows if Path(path).name not in wanted]
        catalog.remove_images(drop)
        calibration.refresh(catalog)
        print(f"{target}: kept {len(rows) - len(drop)} of {len(rows)} references")


if __name__ == "__main__":
    main(*sys.argv[1:4])
