"""Uploaded files laid out in one working folder: loose photos by name, zips extracted safely
(no paths outside the folder, no links, bounded size), and the manifest next to them so its
relative paths resolve."""

from __future__ import annotations

import errno
import filecmp
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from index.importing.manifests import IMAGE_SUFFIXES
from index.problems import Problem

MAX_ZIP_BYTES = 4 * 1024**3
MAX_ZIP_FILES = 50_000


class UploadError(ValueError):
    """An upload that cannot be used; the message (a ``Problem``: also said in the page's language)
    names the file and the reason."""


def stage(files: list[str], folder: Path, manifest: str | None = None, max_zip_files: int = MAX_ZIP_FILES,
          max_zip_bytes: int = MAX_ZIP_BYTES) -> tuple[Path | None, list[Path]]:
    """Copy uploads into ``folder``. Returns (the manifest's staged path or None, photos staged).
    The caller removes ``folder`` when done, whatever the outcome."""
    folder.mkdir(parents=True, exist_ok=True)
    photos: list[Path] = []
    found_manifests: list[Path] = []
    for source in files:
        source_path = Path(source)
        if source_path.suffix.lower() == ".zip":
            extracted = _extract(source_path, folder, max_zip_files, max_zip_bytes)
            photos += [p for p in extracted if p.suffix.lower() in IMAGE_SUFFIXES]
            found_manifests += [p for p in extracted if p.suffix.lower() == ".csv"]
        elif source_path.suffix.lower() == ".csv" and manifest is None:
            found_manifests.append(_copy(source_path, folder))
        else:
            staged = _copy(source_path, folder)
            if staged not in photos:
                photos.append(staged)
    staged_manifest = None
    if manifest:
        staged_manifest = _copy(Path(manifest), folder)
    elif len(found_manifests) == 1:
        staged_manifest = found_manifests[0]
    elif len(found_manifests) > 1:
        names = ", ".join(p.name for p in found_manifests)
        raise UploadError(Problem("upload_several_csv", f"several CSV files uploaded ({names}); upload one manifest",
                                  names=names))
    return staged_manifest, photos


def _copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    if target.exists():
        # the same photos dropped again for a second run arrive twice: one copy is enough
        if filecmp.cmp(source, target, shallow=False):
            return target
        raise UploadError(Problem("upload_same_name", f"{source.name}: two different uploaded files have this name; "
                                  "rename one", name=source.name))
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise UploadError(Problem("upload_not_copied", f"{source.name}: cannot be copied ({_why(exc)})",
                                  name=source.name, reason=_why(exc))) from None
    return target


def _extract(archive: Path, folder: Path, max_files: int, max_bytes: int) -> list[Path]:
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if len(members) > max_files:
                raise UploadError(Problem("upload_zip_files", f"{archive.name}: {len(members)} files, more than the "
                                          f"limit of {max_files}", name=archive.name, files=len(members),
                                          limit=max_files))
            total = sum(m.file_size for m in members)
            if total > max_bytes:
                raise UploadError(Problem("upload_zip_size", f"{archive.name}: {total / 1024**3:.2f} GiB uncompressed, "
                                          f"more than the limit of {max_bytes / 1024**3:.2f} GiB", name=archive.name,
                                          size=round(total / 1024**3, 2), limit=round(max_bytes / 1024**3, 2)))
            extracted = []
            root = folder.resolve()
            for member in members:
                name = PurePosixPath(member.filename)
                if stat.S_ISLNK(member.external_attr >> 16):
                    continue  # a link could point anywhere
                if name.is_absolute() or ".." in name.parts or name.parts[0].startswith("__MACOSX"):
                    continue
                if any(part.startswith(".") for part in name.parts):
                    continue
                target = (folder / Path(*name.parts)).resolve()
                if root not in target.parents:
                    continue
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with bundle.open(member) as source, open(target, "wb") as sink:
                        shutil.copyfileobj(source, sink)
                except OSError as exc:  # a sentence naming the entry, never the server's folder
                    raise UploadError(Problem("upload_zip_entry", f"{archive.name}: cannot extract {member.filename}: "
                                              f"{_why(exc)}", name=archive.name, entry=member.filename,
                                              reason=_why(exc))) from None
                extracted.append(target)
            return extracted
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise UploadError(Problem("upload_zip_unreadable", f"{archive.name}: not a readable zip file (damaged, or not a "
                                  "zip); zip the photos again and upload it", name=archive.name)) from None
    except OSError as exc:
        raise UploadError(Problem("upload_unreadable", f"{archive.name}: cannot be read ({_why(exc)})",
                                  name=archive.name, reason=_why(exc))) from None


def _why(exc: OSError) -> str:
    """An OS error in words, without the path it names (issue 25: a zip holding ``a.jpg`` and
    ``a.jpg/b.jpg`` showed ``[Errno 17]`` with the server's temporary folder)."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
        return "a file and a folder in it have the same name"
    if exc.errno == errno.ENOSPC:
        return "the server's disk is full"
    return (exc.strerror or type(exc).__name__).lower()
