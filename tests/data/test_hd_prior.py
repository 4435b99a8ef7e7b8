"""HD-prior masking: ratios, independence of the two masks, determinism, bad grid sizes."""
import numpy as np
import pytest

from mapkd.datasets.hd_prior import make_hd_prior, validate_hd_prior_cfg


def full_map():
    inst = np.zeros((3, 200, 400), np.int32)
    inst[0, :, :130] = 1
    inst[1, :, 130:260] = 2
    inst[2, :, 260:] = 3
    return inst


def test_ratio_zero_and_one():
    inst = full_map()
    keep = make_hd_prior(inst, 0.0, (25,), np.random.default_rng(0))
    np.testing.assert_array_equal(keep[1:], (inst != 0).astype(np.float32))
    assert keep[0].sum() == 0
    gone = make_hd_prior(inst, 1.0, (8,), np.random.default_rng(0))
    assert gone[1:].sum() == 0 and gone[0].all()


@pytest.mark.parametrize('n', [25, 20, 10, 8])
def test_half_of_the_patches_masked_independently(n):
    inst = np.ones((3, 200, 400), np.int32)
    out = make_hd_prior(inst, 0.5, (n,), np.random.default_rng(1))
    for ch in (1, 3):
        assert out[ch].mean() == pytest.approx(1 - round(n * n * 0.5) / (n * n), abs=1e-6)
    np.testing.assert_array_equal(out[1], out[2])      # divider and ped share one mask
    assert not np.array_equal(out[1], out[3])          # the boundary mask is independent


def test_deterministic_given_rng_and_random_ratio():
    inst = full_map()
    a = make_hd_prior(inst, -1, (25, 20, 10, 8), np.random.default_rng([3, 0, 7]))
    b = make_hd_prior(inst, -1, (25, 20, 10, 8), np.random.default_rng([3, 0, 7]))
    c = make_hd_prior(inst, -1, (25, 20, 10, 8), np.random.default_rng([3, 1, 7]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_grid_choices_rejected():
    with pytest.raises(ValueError, match='grid size 0'):
        validate_hd_prior_cfg(dict(grid_choices=(0, 8)), (200, 400))
    with pytest.raises(ValueError, match='unknown hd_prior options'):
        validate_hd_prior_cfg(dict(ratio=0.5), (200, 400))
