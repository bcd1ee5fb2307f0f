"""The score's reference marks: looking a score up between them, the marks a plot shows, the
shipped MNIST marks as package data, the marks of a classifier measured once and cached, and
which stored scores an older classifier made."""

import json

import torch

from workbench.core.evaluation import marks as marks_module
from workbench.core.evaluation.marks import (
    Mark,
    around,
    as_json,
    common_marks,
    describe,
    marks_for,
    marks_for_epochs,
    neighbours,
    shipped_marks,
)
from workbench.core.evaluation.versions import current_version, describe_older, older_scores

MARKS = [Mark("real", "real images", 0.09), Mark("quadrant", "one quadrant swapped", 2.4),
         Mark("blur-0.5", "real, blurred σ 0.5", 3.3), Mark("noise", "uniform noise", 1297.0)]


def test_a_score_between_two_marks_names_both():
    below, above = neighbours(1.92, MARKS)
    assert (below.id, above.id) == ("real", "quadrant")
    assert describe(2.9, MARKS) == "2.9: between 'one quadrant swapped' (2.4) and 'real, blurred σ 0.5' (3.3)"
    assert neighbours(2.4, MARKS)[0].id == "quadrant"  # a score equal to a mark sits on it, from above


def test_a_score_below_the_lowest_or_above_the_highest_mark_says_so():
    assert neighbours(0.01, MARKS) == (None, MARKS[0])
    assert describe(0.05, MARKS) == "0.05: below 'real images' (0.09)"
    assert neighbours(5000.0, MARKS) == (MARKS[-1], None)
    assert describe(5000.0, MARKS) == "5,000: above 'uniform noise' (1,297)"
    assert describe(1.0, []) == "" and describe(float("nan"), MARKS) == ""
    data = as_json(1.92, MARKS)
    assert data["below"]["id"] == "real" and data["above"] == {"id": "quadrant", "name": "one quadrant swapped",
                                                              "score": 2.4}
    assert as_json(0.01, MARKS)["below"] is None


def test_a_plot_shows_the_marks_within_a_factor_of_two_of_its_scores():
    assert [m.id for m in around([2.0, 2.8], MARKS)] == ["quadrant", "blur-0.5"]
    assert [m.id for m in around([1.5, 800.0], MARKS)] == ["quadrant", "blur-0.5", "noise"]
    assert [m.id for m in around([0.1], MARKS)] == ["real"]
    assert around([40.0], MARKS) == [] and around([], MARKS) == [] and around([1.0], []) == []


def test_the_shipped_mnist_marks_load_as_package_data_and_belong_to_the_shipped_classifier():
    data = shipped_marks()
    assert data is not None and data["samples"] == 2000
    meta = json.loads(marks_module.resources.files("workbench.core.evaluation")
                      .joinpath("mnist-classifier.json").read_text(encoding="utf-8"))
    assert data["classifier"] == f"{meta['key']}-{meta['id']}"
    assert data["classifier_version"] == meta["version"] == current_version("mnist")
    marks = marks_for(data["classifier"])
    ids = [m.id for m in marks]
    assert ids[0] == "real" and "noise" in ids and len(marks) == 8
    score = {m.id: m.score for m in marks}
    assert score["real"] < score["blur-0.5"] < score["blur-1"] < score["blur-2"] < score["noise"]
    # features that keep the layout read a quarter of another digit and broken strokes as worse
    # than a slight blur (pooled features, version 2, read the quadrant as better)
    assert score["blur-0.5"] < score["quadrant"] < score["erased"] < score["blur-1"]
    assert marks_for("mnist-v1-0000-unknown") == [] and marks_for(None) == []


def test_marks_follow_the_classifier_that_scored_the_latest_epoch(isolated_home):
    name = "fashion-mnist-v3-abc-1234"
    path = marks_module.cached_marks_path(name)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": marks_module.FORMAT, "classifier": name,
                                "marks": [{"id": "real", "name": "real images", "score": 0.5}]}))
    epochs = [{"epoch": 1, "quality": 9.0, "classifier_key": "old"}, {"epoch": 2},
              {"epoch": 3, "quality": 4.0, "classifier_key": name}]
    assert marks_for_epochs(epochs) == [Mark("real", "real images", 0.5)]
    assert marks_for_epochs([{"epoch": 1}]) == []
    assert common_marks([epochs, epochs[:1] + [epochs[2]]]) == [Mark("real", "real images", 0.5)]
    assert common_marks([epochs, epochs[:1]]) == []  # two classifiers: no lines, they would mean two things


def test_scores_from_an_older_classifier_are_recognised():
    current = current_version("mnist")
    epochs = [{"epoch": 1, "quality": 3.0}, {"epoch": 2, "quality": 2.0, "classifier_version": 0},
              {"epoch": 3, "quality": 2.0, "classifier_version": current}, {"epoch": 4}]
    assert older_scores(epochs, "mnist") == [1, 2]  # no version stored: from before versions were stored
    cifar = [{"epoch": 1, "quality": 9.0, "classifier_version": current_version("cifar10")}]
    assert older_scores(cifar, "cifar10") == []  # CIFAR-10's classifier has its own version
    assert "epochs 1, 2 was scored by an older feature classifier" in describe_older([1, 2], "mnist")
    assert describe_older([], "mnist") == ""


def test_degradations_are_drawn_from_their_own_generator_and_keep_the_images_shape():
    from workbench.core.evaluation.degradations import DEGRADATIONS

    g = torch.Generator().manual_seed(0)
    images = torch.rand(6, 1, 28, 28, generator=g)
    state = torch.random.get_rng_state()
    for ident, _, spoil in DEGRADATIONS:
        a = spoil(images, torch.Generator().manual_seed(3))
        b = spoil(images, torch.Generator().manual_seed(3))
        assert a.shape == images.shape and torch.equal(a, b), ident
        assert 0 <= float(a.min()) and float(a.max()) <= 1, ident
    assert torch.equal(state, torch.random.get_rng_state())


def test_a_swapped_quadrant_comes_from_another_image_and_erased_patches_land_on_the_strokes():
    from workbench.core.evaluation.degradations import patches_erased, quadrant_swapped

    images = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 1, 28, 28) / 4  # flat images 0…0.75
    swapped = quadrant_swapped(images, torch.Generator().manual_seed(0))
    for i in range(4):
        changed = swapped[i, 0] != images[i, 0]
        assert int(changed.sum()) == 14 * 14  # exactly one quadrant, from an image of another value
    digit = torch.zeros(1, 1, 28, 28)
    digit[..., 4:24, 12:16] = 1.0  # a bar
    erased = patches_erased(digit, torch.Generator().manual_seed(0))
    assert float(erased.sum()) < float(digit.sum()) and float(erased[..., :, :8].sum()) == 0
