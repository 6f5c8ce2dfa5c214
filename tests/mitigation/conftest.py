"""Fixtures for the mitigation tests."""

import pytest

from mitigation_support import linear_layer_stage, loader_stage


@pytest.fixture(scope="module")
def linear_layer():
    return linear_layer_stage()


@pytest.fixture(scope="module")
def loader():
    return loader_stage()
