"""Embedders by name: the offline EfficientNet-Lite0 and open_clip models loaded from weights/."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import demo_photo, write_tiny_clip
from vision import OfflineFallbackWarning, UnknownModel, WeightsNotFound, load_embedder, load_image, resolve_name
from vision.runtime import configure_threads

MILK = demo_photo("Arla-Standard-Milk_001.jpg")
MILK_SHELF = demo_photo("Arla-Standard-Milk_003.jpg")
YOGHURT = demo_photo("Alpro-Vanilla-Soyghurt_001.jpg")


def test_offline_model_gives_unit_float32_vectors(offline_embedder):
    vectors = offline_embedder.embed([load_image(MILK), load_image(YOGHURT)])
    assert vectors.shape == (2, 1280) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_offline_model_is_deterministic_and_batch_independent(offline_embedder):
    images = [load_image(p) for p in (MILK, YOGHURT, MILK_SHELF)]
    one_by_one = np.stack([offline_embedder.embed([image])[0] for image in images])
    batched = offline_embedder.embed(images, batch_size=3)
    assert np.allclose(one_by_one, batched, atol=1e-4)


def test_offline_model_sees_a_resized_copy_as_the_same_photo(offline_embedder):
    image = load_image(MILK)
    smaller = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    original, resized, other = offline_embedder.embed([image, smaller, load_image(YOGHURT)])
    assert float(original @ resized) > 0.95
    assert float(original @ other) < float(original @ resized) - 0.2


def test_a_tuned_model_keeps_its_imagenet_view_beside_the_tuned_one(offline_embedder):
    from vision.offline import BOTH_VIEWS_DIM, EfficientNetLite0

    # a "tuning" that changed the blocks from 13 on (the real one changes them from 11)
    state = {key: value.clone() for key, value in offline_embedder.model.state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    for key, value in state.items():
        if key.startswith(("_blocks.13.", "_blocks.14.", "_blocks.15.", "_conv_head.")) and "conv" in key \
                and key.endswith(".weight"):
            state[key] = value + 0.05 * value.abs().mean() * torch.randn(value.shape, generator=generator)
    images = [load_image(MILK), load_image(YOGHURT)]
    tuned_only = EfficientNetLite0(tuned_state=state)
    both = EfficientNetLite0(tuned_state=state, imagenet_view=True)
    assert both.branch == 13 and both.dim == BOTH_VIEWS_DIM and tuned_only.dim == 1280
    assert both.name == tuned_only.name == "offline-tuned"
    vectors = both.embed(images)
    assert vectors.shape == (2, BOTH_VIEWS_DIM) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # each half is that view's own unit vector, with equal weight
    assert np.allclose(vectors[:, :1280] * np.sqrt(2), tuned_only.embed(images), atol=1e-4)
    assert np.allclose(vectors[:, 1280:] * np.sqrt(2), offline_embedder.embed(images), atol=1e-4)
    assert not np.allclose(vectors[:, :1280], vectors[:, 1280:], atol=1e-2)  # the tuning did change the view
    assert both.fingerprint() != tuned_only.fingerprint()
    assert both.feature_map(images[0]).shape == (9, 9, BOTH_VIEWS_DIM)


def test_two_tuned_draws_sit_beside_the_imagenet_view_and_round_trip_through_one_file(offline_embedder):
    from vision.offline import EfficientNetLite0, join_draws, split_draws, views_of

    generator = torch.Generator().manual_seed(1)
    states = []
    for start in (12, 13):  # two "draws" that changed different blocks
        state = {key: value.clone() for key, value in offline_embedder.model.state_dict().items()}
        for key, value in state.items():
            if key.startswith(tuple(f"_blocks.{i}." for i in range(start, 16))) and "conv" in key \
                    and key.endswith(".weight"):
                state[key] = value + 0.05 * value.abs().mean() * torch.randn(value.shape, generator=generator)
        states.append(state)
    joined = join_draws(states)
    assert len(joined) == 2 * len(states[0])
    back = split_draws(joined)
    assert len(back) == 2 and all(torch.equal(back[i][k], states[i][k]) for i in range(2) for k in states[i])
    images = [load_image(MILK), load_image(YOGHURT)]
    three = EfficientNetLite0(tuned_state=back, imagenet_view=True)
    assert three.dim == 3840 and three.branch == 12 and views_of(3840, 2) and not views_of(2560, 2)
    vectors = three.embed(images)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for third, view in zip(range(3), [EfficientNetLite0(tuned_state=states[0]), EfficientNetLite0(tuned_state=states[1]),
                                      offline_embedder]):
        assert np.allclose(vectors[:, 1280 * third:1280 * (third + 1)] * np.sqrt(3), view.embed(images), atol=1e-4)
    assert three.feature_map(images[0]).shape == (9, 9, 3840)


def test_feature_map_has_one_unit_vector_per_region(offline_embedder):
    fmap = offline_embedder.feature_map(load_image(MILK))
    assert fmap.shape == (9, 9, 1280)
    assert np.allclose(np.linalg.norm(fmap, axis=-1), 1.0, atol=1e-4)


def test_torch_threads_are_set_explicitly():
    assert configure_threads(1) == 1 and torch.get_num_threads() == 1
    assert configure_threads(2) == 2 and torch.get_num_threads() == 2


def test_clip_loads_real_open_clip_weights_from_the_weights_folder(weights_dir):
    write_tiny_clip(weights_dir)
    embedder = load_embedder("clip:TinyTestViT/random")
    assert embedder.name == "clip:TinyTestViT/random" and embedder.dim == 32
    vectors = embedder.embed([load_image(MILK), load_image(YOGHURT)])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    fmap = embedder.feature_map(load_image(MILK))
    assert fmap.shape == (4, 4, 32)  # 64-pixel input, 16-pixel patches


def test_clip_checkpoint_can_be_named_by_path(weights_dir):
    checkpoint = write_tiny_clip(weights_dir, tag="custom")
    by_path = load_embedder(f"clip:TinyTestViT/{checkpoint}")
    by_tag = load_embedder("clip:TinyTestViT/custom")
    image = load_image(MILK)
    assert np.allclose(by_path.embed([image]), by_tag.embed([image]), atol=1e-6)


def test_different_clip_weights_give_different_fingerprints(weights_dir):
    write_tiny_clip(weights_dir, tag="a", seed=1)
    write_tiny_clip(weights_dir, tag="b", seed=2)
    a = np.array(load_embedder("clip:TinyTestViT/a").fingerprint())
    b = np.array(load_embedder("clip:TinyTestViT/b").fingerprint())
    assert float(a @ b) < 0.99


def test_missing_clip_weights_name_the_file_and_the_fetch_command(weights_dir):
    with pytest.raises(WeightsNotFound) as caught:
        load_embedder("clip")
    message = str(caught.value)
    assert str(weights_dir / "ViT-B-32-laion2b_s34b_b79k.safetensors") in message
    assert "python scripts/fetch_weights.py clip:ViT-B-32/laion2b_s34b_b79k" in message


def test_missing_checkpoint_file_is_named(weights_dir):
    write_tiny_clip(weights_dir)
    with pytest.raises(WeightsNotFound, match="nothere.safetensors"):
        load_embedder("clip:TinyTestViT/nothere.safetensors")


def test_unknown_names_are_refused_with_the_choices():
    with pytest.raises(UnknownModel, match="auto \\| clip \\| offline"):
        load_embedder("resnet-please")
    with pytest.raises(UnknownModel, match="unknown open_clip architecture"):
        load_embedder("clip:NoSuchArch/tag")


def test_auto_falls_back_to_offline_with_a_visible_warning(weights_dir):
    with pytest.warns(OfflineFallbackWarning, match="offline model"):
        assert resolve_name("auto") == "offline"


def test_auto_prefers_clip_when_its_checkpoint_is_in_weights(weights_dir):
    # Resolution only looks for the file; loading a full ViT-B-32 is not needed to test the order.
    (weights_dir / "ViT-B-32-laion2b_s34b_b79k.safetensors").write_bytes(b"placeholder")
    assert resolve_name("auto") == "clip"
