"""The elementwise-function registry: each entry's exact function, polynomial rule,
Lipschitz bound and degree estimate, checked against PyTorch and against each other."""

import math

import numpy as np
import pytest

from qcompile.errors import NotSupportedError
from qcompile.functions import (ElementwiseFunction, function_names, gelu, get_function, is_function,
                                register_function)

FINE = np.linspace(-1, 1, 20001)

#: PyTorch's module for each registered language function (name, keyword arguments)
TORCH = {"gelu": ("GELU", {}), "gelu_tanh": ("GELU", {"approximate": "tanh"}), "relu": ("ReLU", {}),
         "silu": ("SiLU", {}), "sigmoid": ("Sigmoid", {})}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_exact_function_matches_torch(name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-8, 8, 4001)
    module, kwargs = TORCH[name]
    ref = getattr(torch.nn, module)(**kwargs)(torch.tensor(x, dtype=torch.float64)).numpy()
    assert np.max(np.abs(get_function(name)(x) - ref)) <= 1e-14


def test_every_language_function_has_a_torch_check():
    assert set(function_names()) == set(TORCH)


@pytest.mark.parametrize("alpha,tol", [(1.0, 1e-6), (4.0, 1e-8)])
def test_gelu_polynomial_meets_the_tolerance(alpha, tol):
    p = get_function("gelu").polynomial(alpha, tol, 1000)
    assert np.max(np.abs(p(FINE) - gelu(alpha * FINE))) <= tol


@pytest.mark.parametrize("name", function_names(language=False))
@pytest.mark.parametrize("a", [0.5, 3.0])
def test_lipschitz_bounds_the_derivative(name, a):
    f = get_function(name)
    x = np.linspace(-a, a, 200001)
    slopes = np.abs(np.diff(f(x)) / np.diff(x))
    assert np.max(slopes) <= f.lipschitz(a) * (1 + 1e-9)


@pytest.mark.parametrize("name", function_names(language=False))
def test_log_scale_is_the_sum_of_the_parity_parts_sup(name):
    """The estimator's closed form (or grid) for ln(sup|f_e| + sup|f_o|) of f(a t)."""
    f, a = get_function(name), 2.5
    t = np.linspace(0, 1, 100001)
    up, down = f(a * t), f(-a * t)
    want = math.log(np.max(np.abs(up + down)) / 2 + np.max(np.abs(up - down)) / 2)
    assert math.isclose(f.log_qsvt_scale(a), want, rel_tol=1e-6)


def test_unknown_function_is_a_clear_error():
    with pytest.raises(NotSupportedError, match="did you mean 'gelu'"):
        get_function("gelv")
    assert not is_function("exp") and is_function("exp", language=False)


def test_a_name_registers_once():
    with pytest.raises(ValueError, match="already registered"):
        register_function(ElementwiseFunction("gelu", np.tanh, "another gelu", lipschitz=lambda a: 1.0))
