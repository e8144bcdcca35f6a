"""Scoring whole videos: the method's crop-averaged snippet scores of the full video, eval mode, audio,
caching."""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from vadkit.methods import create_method
from vadkit.train import ArrayFeatureSet, ArrayVideo, LRUCache, score_feature_set


class CountingSet(ArrayFeatureSet):
    loads: Counter[str]

    def load(self, video: ArrayVideo) -> np.ndarray:
        self.loads[video.name] += 1
        return super().load(video)


def data(audio: bool) -> CountingSet:
    rng = np.random.default_rng(3)
    videos = [ArrayVideo("n", 0), ArrayVideo("a", 1)]
    features = {"n": rng.normal(size=(9, 3, 4)), "a": rng.normal(size=(14, 3, 4))}
    sound = {"n": rng.normal(size=(9, 2)), "a": rng.normal(size=(14, 2))} if audio else None
    counting = CountingSet(videos, features, sound)
    counting.loads = Counter()
    return counting


def test_scores_are_the_models_full_video_scores_in_eval_mode() -> None:
    torch.manual_seed(0)
    model = create_method("rtfm", feature_dim=4, branch_channels=4)
    model.train()
    videos = data(audio=False)
    scores = score_feature_set(model, videos)
    assert model.training  # the mode is restored
    model.eval()
    for video in videos:
        # RTFM's test path: (1, C, T, D), crops averaged after the sigmoid, every snippet of the video
        features = torch.from_numpy(videos.load(video)).permute(1, 0, 2)[None]
        with torch.no_grad():
            expected = model.snippet_scores(features)[0].numpy()
        np.testing.assert_array_equal(scores[video.name], expected)
        assert scores[video.name].dtype == np.float32
    assert list(scores) == ["n", "a"]


def test_audio_visual_scores_take_the_audio() -> None:
    torch.manual_seed(0)
    model = create_method("hlnet", feature_dim=4, audio_dim=2).eval()
    videos = data(audio=True)
    scores = score_feature_set(model, videos)
    n = videos["n"]
    features = torch.from_numpy(videos.load(n)).permute(1, 0, 2)[None]
    with torch.no_grad():
        expected = model.snippet_scores(features, audio=torch.from_numpy(videos.load_audio(n))[None])[0]
    np.testing.assert_array_equal(scores["n"], expected.numpy())
    assert scores["a"].shape == (14,)


def test_the_cache_spares_reloading() -> None:
    model = create_method("mil", feature_dim=4)
    videos = data(audio=False)
    cache = LRUCache(1 << 20)
    first = score_feature_set(model, videos, cache=cache)
    second = score_feature_set(model, videos, cache=cache)
    assert videos.loads == Counter({"n": 1, "a": 1})
    assert all(np.array_equal(first[k], second[k]) for k in first)
