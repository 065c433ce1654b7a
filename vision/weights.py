"""Where CLIP weights come from: ``weights/`` first, then the local caches, then a download.

Field laptops are often air-gapped, so a missing checkpoint is never a stack trace: the error
names the exact file to place in ``weights/`` and the command that fetches it on a connected
machine.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_ARCH = "ViT-B-32"
DEFAULT_TAG = "laion2b_s34b_b79k"
CHECKPOINT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
REPO_ROOT = Path(__file__).resolve().parent.parent


class WeightsNotFound(RuntimeError):
    """The checkpoint for a model is not on this machine and could not be downloaded."""


class UnknownModel(ValueError):
    """An embedder name or open_clip architecture/tag that does not exist."""


def weights_dir() -> Path:
    return Path(os.environ.get("VERIFIER_WEIGHTS_DIR") or REPO_ROOT / "weights")


@dataclass(frozen=True)
class ClipSpec:
    arch: str
    tag_or_path: str

    @property
    def name(self) -> str:
        return f"clip:{self.arch}/{self.tag_or_path}"

    @property
    def is_path(self) -> bool:
        value = self.tag_or_path
        return value.endswith(CHECKPOINT_SUFFIXES) or os.sep in value or value.startswith(".")

    @property
    def file_name(self) -> str:
        """The file name this checkpoint has in ``weights/``."""
        if self.is_path:
            return Path(self.tag_or_path).name
        return f"{self.arch}-{self.tag_or_path}.safetensors"

    @property
    def fetch_command(self) -> str:
        return f"python scripts/fetch_weights.py {self.name}"


def parse_clip_spec(spec: str) -> ClipSpec:
    """``clip`` or ``clip:ARCH/TAG_OR_PATH`` to a ClipSpec."""
    if spec == "clip":
        return ClipSpec(DEFAULT_ARCH, DEFAULT_TAG)
    if not spec.startswith("clip:"):
        raise UnknownModel(f"not a CLIP model name: {spec!r} (expected 'clip' or 'clip:ARCH/TAG_OR_PATH')")
    arch, _, tag_or_path = spec[len("clip:") :].partition("/")
    if not arch:
        raise UnknownModel(f"{spec!r}: no architecture given (expected 'clip:ARCH/TAG_OR_PATH', e.g. clip:ViT-B-32/laion2b_s34b_b79k)")
    if not tag_or_path:
        if arch == DEFAULT_ARCH:
            tag_or_path = DEFAULT_TAG
        else:
            raise UnknownModel(f"{spec!r}: no weights given (expected 'clip:{arch}/TAG' or 'clip:{arch}/path/to/checkpoint.safetensors')")
    return ClipSpec(arch, tag_or_path)


def register_local_model_configs(directory: Path | None = None) -> None:
    """Architectures are data: an ``ARCH.json`` open_clip config in ``weights/`` defines ARCH."""
    import open_clip

    directory = directory or weights_dir()
    configs = sorted(directory.glob("*.json")) if directory.is_dir() else []
    known = set(open_clip.list_models())
    for config in configs:
        if config.stem not in known:
            open_clip.add_model_config(config)


def resolve_checkpoint(spec: ClipSpec, allow_download: bool = True) -> Path:
    """Find the checkpoint for ``spec`` on this machine, or download it; else WeightsNotFound."""
    import open_clip

    register_local_model_configs()
    if spec.arch not in open_clip.list_models():
        raise UnknownModel(
            f"unknown open_clip architecture {spec.arch!r}; put its config in {weights_dir() / (spec.arch + '.json')} "
            f"or choose one of open_clip.list_models() (e.g. {DEFAULT_ARCH})"
        )

    if spec.is_path:
        for candidate in (Path(spec.tag_or_path).expanduser(), weights_dir() / spec.tag_or_path):
            if candidate.is_file():
                return candidate.resolve()
        raise WeightsNotFound(
            f"checkpoint file {spec.tag_or_path!r} for {spec.arch} not found (looked in the current folder and in {weights_dir()})"
        )

    local = _in_weights_dir(spec)
    if local:
        return local

    cfg = open_clip.get_pretrained_cfg(spec.arch, spec.tag_or_path)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(spec.arch)
        raise UnknownModel(
            f"open_clip has no weights tagged {spec.tag_or_path!r} for {spec.arch}; known tags: {', '.join(tags) or 'none'}"
        )
    cached = _in_caches(cfg)
    if cached:
        return cached
    if allow_download and not _offline() and _hub_reachable(cfg):
        try:
            return Path(open_clip.download_pretrained(cfg))
        except Exception as exc:  # network errors come in many types; all mean "not downloadable now"
            raise WeightsNotFound(_missing_message(spec, f"the download failed: {exc}")) from None
    reason = "this machine is offline" if allow_download else "downloads were not allowed"
    raise WeightsNotFound(_missing_message(spec, reason))


def _missing_message(spec: ClipSpec, reason: str) -> str:
    return (
        f"CLIP weights for {spec.name} are not on this machine ({reason}). "
        f"Place the checkpoint at {weights_dir() / spec.file_name}; on a machine with internet access run "
        f"`{spec.fetch_command}` and copy the file it writes. "
        f"Or use the offline model: --model offline."
    )


def _in_weights_dir(spec: ClipSpec) -> Path | None:
    stem = f"{spec.arch}-{spec.tag_or_path}"
    for suffix in CHECKPOINT_SUFFIXES:
        candidate = weights_dir() / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _in_caches(cfg: dict) -> Path | None:
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo_id, filename = os.path.split(hub)
        names = [filename] if filename else []
        names += ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        for name in names:
            found = try_to_load_from_cache(repo_id, name)
            if isinstance(found, str) and os.path.isfile(found):
                return Path(found)
    url = cfg.get("url", "")
    if url:
        candidate = Path("~/.cache/clip").expanduser() / os.path.basename(urlparse(url).path)
        if candidate.is_file():
            return candidate
    return None


def _offline() -> bool:
    return any(os.environ.get(flag, "").lower() in ("1", "true", "yes") for flag in ("VERIFIER_OFFLINE", "HF_HUB_OFFLINE"))


def _hub_reachable(cfg: dict, timeout: float = 3.0) -> bool:
    """A quick connect test, so an air-gapped machine fails in seconds, not after minutes of retries."""
    if cfg.get("hf_hub"):
        host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    else:
        host = urlparse(cfg.get("url", "")).hostname
    if not host:
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False
