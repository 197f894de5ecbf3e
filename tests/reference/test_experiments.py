"""Fact 8 of the course (the circles experiment the init notebook and the demo show), on reference.experiments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.experiments import depth_ratios, init_comparison


@pytest.fixture(scope="module")
def rows():
    return {r.init: r for r in init_comparison(("zeros", "normal x 10", "he_normal"), n=300, lr=0.1, steps=3000)}


def test_zero_init_stays_at_ln2_and_chance_accuracy_on_every_step(rows):
    """Does all-zero init keep the loss at ln 2 on every step and the accuracy at 0.5 (balanced circles)?"""
    zeros = rows["zeros"]
    assert np.allclose(zeros.loss_curve, math.log(2), rtol=0, atol=1e-12)
    assert zeros.train_accuracy == 0.5
    assert zeros.duplicate_units == 10 + 5  # every hidden unit has an identical twin


def test_he_init_learns_circles(rows):
    """Does He init reach at least 0.95 training accuracy with the fixed lr 0.1 and 3000 steps, and break symmetry?"""
    he = rows["he_normal"]
    assert he.train_accuracy >= 0.95
    assert he.final_loss < 0.1 * he.first_loss
    assert he.duplicate_units == 0


def test_normal_times_10_gives_a_finite_loss(rows):
    """Does "normal x 10" init start with a huge but finite loss, with no inf/nan anywhere in the history?"""
    big = rows["normal x 10"]
    assert np.all(np.isfinite(big.loss_curve))
    assert big.first_loss > 10 * math.log(2)


def test_depth_ratios_separate_he_from_xavier_on_relu():
    """Does the demo's depth table (fewer seeds here) show He keeping scale and Xavier collapsing it on ReLU?"""
    he, xavier = depth_ratios(("he_normal + relu", "xavier_normal + relu"), seeds=range(3), batch=64)
    assert 0.5 <= he.median_ratio <= 2
    assert xavier.median_ratio < 1e-6
    assert he.profile.shape == (50,)
