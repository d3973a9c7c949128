"""Brain maps: response columns placed in the mask's voxels (pycortex and NIfTI spaces), NIfTI
files, the quantities drawn, the best layer, the figures, and named errors at planning."""

from __future__ import annotations

import matplotlib.image
import nibabel
import numpy as np
import pandas as pd
import pytest
from conftest import write_pycortex_mask, write_responses

from speech_encoding.errors import InputError
from speech_encoding.report.brain_figures import best_layer_values, fit_quantities
from speech_encoding.report.brain_maps import write_subject_maps
from speech_encoding.report.brain_space import (
    NiftiSpace,
    PycortexSpace,
    column_volume,
    mask_and_affine,
    save_nifti,
)
from speech_encoding.run.map_plan import plan_brain_maps, skipped_lines


def loop_volume(values: np.ndarray, mask: np.ndarray, voxel_order: str) -> np.ndarray:
    """The documented order, written as loops: pycortex's has i varying fastest (k outermost),
    nilearn's has k varying fastest (i outermost)."""
    volume = np.full(mask.shape, np.nan)
    ni, nj, nk = mask.shape
    if voxel_order == "pycortex":
        positions = [(i, j, k) for k in range(nk) for j in range(nj) for i in range(ni)]
    else:
        positions = [(i, j, k) for i in range(ni) for j in range(nj) for k in range(nk)]
    column = 0
    for i, j, k in positions:
        if mask[i, j, k]:
            volume[i, j, k] = values[column]
            column += 1
    return volume


def random_mask(shape=(5, 4, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < 0.5


@pytest.mark.parametrize("voxel_order", ["pycortex", "nilearn"])
def test_columns_land_in_the_mask_voxels_in_the_documented_order(voxel_order):
    mask = random_mask()
    values = np.arange(mask.sum()) + 1.0
    got = column_volume(values, mask, voxel_order)
    np.testing.assert_array_equal(got, loop_volume(values, mask, voxel_order))
    assert np.isnan(got[~mask]).all()


def test_the_two_orders_differ_on_a_mask_with_more_than_one_row():
    mask = random_mask()
    values = np.arange(mask.sum()) + 1.0
    assert not np.array_equal(column_volume(values, mask, "pycortex"),
                              column_volume(values, mask, "nilearn"), equal_nan=True)


def test_a_volume_with_the_wrong_number_of_values_is_refused():
    with pytest.raises(ValueError, match="4 values for a mask of"):
        column_volume(np.zeros(4), random_mask(), "pycortex")


def write_mask(path, mask: np.ndarray, affine=None):
    nibabel.save(nibabel.Nifti1Image(mask.astype(np.uint8), np.diag([2.0, 3.0, 4.0, 1.0])
                                     if affine is None else affine), path)
    return str(path)


def test_nifti_volume_round_trip_keeps_the_values_and_the_grid(tmp_path):
    mask = random_mask()
    space = NiftiSpace(write_mask(tmp_path / "mask.nii.gz", mask))
    read_mask, affine = mask_and_affine(space)
    np.testing.assert_array_equal(read_mask, mask)
    values = np.random.default_rng(1).normal(size=mask.sum())
    save_nifti(tmp_path / "r.nii.gz", column_volume(values, read_mask, "pycortex"), affine)
    image = nibabel.load(tmp_path / "r.nii.gz")
    np.testing.assert_array_equal(image.affine, np.diag([2.0, 3.0, 4.0, 1.0]))
    np.testing.assert_allclose(np.asarray(image.get_fdata()),
                               loop_volume(values.astype(np.float32), mask, "pycortex"))


def test_pycortex_order_is_the_one_pycortex_unmasks_with(pycortex_store):
    import cortex

    from speech_encoding.report.brain_space import use_filestore

    write_pycortex_mask(pycortex_store, "order300", 300)
    space = PycortexSpace(str(pycortex_store), "S1", "fullhead", mask_type="order300")
    mask, _ = mask_and_affine(space)
    assert mask.sum() == 300
    values = np.random.default_rng(2).normal(size=300)
    use_filestore(str(pycortex_store))
    theirs = cortex.Volume(values, "S1", "fullhead", mask=cortex.db.get_mask(
        "S1", "fullhead", "order300")).volume[0]  # pycortex's (k, j, i) array
    ours = column_volume(values, mask, "pycortex").T
    np.testing.assert_array_equal(ours[mask.T], np.asarray(theirs)[mask.T])
    np.testing.assert_array_equal(ours, loop_volume(values, mask, "pycortex").T)


def voxel_table(r, significant, alpha, r_normalized=None) -> pd.DataFrame:
    table = pd.DataFrame({"voxel": np.arange(len(r)), "r": r, "significant": significant,
                          "alpha": alpha})
    if r_normalized is not None:
        table["r_normalized"] = r_normalized
    return table


def test_quantities_blank_insignificant_voxels_and_add_normalised_r_only_with_a_ceiling():
    r = np.array([0.5, -0.2, 0.1, 0.05])
    table = voxel_table(r, [True, False, True, False], [1.0, 10.0, 100.0, 1e4])
    quantities = fit_quantities(table)
    assert list(quantities) == ["r", "r_significant", "alpha"]
    np.testing.assert_array_equal(quantities["r_significant"][0], [0.5, np.nan, 0.1, np.nan])
    np.testing.assert_array_equal(quantities["alpha"][0], [0.0, 1.0, 2.0, 4.0])
    style = quantities["r"][1]
    assert style.vmin == -style.vmax and style.vmax == pytest.approx(np.percentile(np.abs(r), 99))
    with_nulls = fit_quantities(voxel_table(r, [True] * 4, [1.0] * 4, [None] * 4))
    assert "r_normalized" not in with_nulls
    ceiling = fit_quantities(voxel_table(r, [True] * 4, [1.0] * 4, [0.6, np.nan, 0.2, 0.1]))
    np.testing.assert_array_equal(ceiling["r_normalized"][0], [0.6, np.nan, 0.2, 0.1])


def test_best_layer_is_the_highest_significant_r_per_voxel():
    rng = np.random.default_rng(3)
    layers = [0, 2, 5]
    r = rng.normal(size=(3, 50))
    significant = rng.random((3, 50)) < 0.4
    tables = [voxel_table(r[i], significant[i], np.ones(50)) for i in range(3)]
    best, style = best_layer_values(layers, tables)
    for voxel in range(50):
        candidates = [(r[i, voxel], layers[i]) for i in range(3) if significant[i, voxel]]
        expected = max(candidates)[1] if candidates else np.nan
        np.testing.assert_equal(best[voxel], expected)
    assert (style.vmin, style.vmax) == (0, 5)


def test_subject_maps_write_every_layer_quantity_and_the_best_layer(tmp_path):
    mask = random_mask((8, 7, 6), seed=4)
    space = NiftiSpace(write_mask(tmp_path / "mask.nii.gz", mask), voxel_order="nilearn")
    rng = np.random.default_rng(5)
    n = int(mask.sum())
    tables = [voxel_table(rng.normal(0, 0.2, n), rng.random(n) < 0.3, 10.0 ** rng.integers(0, 6, n))
              for _ in range(2)]
    shuffled = tables[1].sample(frac=1.0, random_state=0)  # rows in any order: placed by `voxel`
    figures = write_subject_maps(tmp_path / "maps", space, "s1", [0, 1], [tables[0], shuffled],
                                 {"subject": "s1", "feature set": "fs"})
    assert [f.relative_to(tmp_path / "maps").as_posix() for f in figures] == [
        f"layer{layer}/{quantity}.png" for layer in (0, 1)
        for quantity in ("r", "r_significant", "alpha")] + ["best_layer.png"]
    for layer in (0, 1):
        volume = np.asarray(nibabel.load(tmp_path / "maps" / f"layer{layer}" / "r.nii.gz").get_fdata())
        np.testing.assert_allclose(volume, loop_volume(tables[layer]["r"].to_numpy(np.float32), mask,
                                                       "nilearn"))
    image = matplotlib.image.imread(figures[0])
    assert image.shape[0] > 200 and image.shape[1] > 500
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_pycortex_flatmap_is_drawn_with_its_volume(pycortex_store, tmp_path):
    write_pycortex_mask(pycortex_store, "flat500", 500)
    space = PycortexSpace(str(pycortex_store), "S1", "fullhead", mask_type="flat500", height=256)
    rng = np.random.default_rng(6)
    table = voxel_table(rng.normal(0, 0.2, 500), rng.random(500) < 0.5, np.ones(500))
    figures = write_subject_maps(tmp_path / "maps", space, "s2", [3], [table], {"subject": "s2"})
    image = matplotlib.image.imread(figures[0])
    assert image.shape[0] >= 256 and image[..., :3].std() > 0.05
    mask, affine = mask_and_affine(space)
    volume = nibabel.load(tmp_path / "maps" / "layer3" / "r.nii.gz")
    np.testing.assert_array_equal(volume.affine, affine)
    np.testing.assert_allclose(np.asarray(volume.get_fdata())[mask],
                               column_volume(table["r"].to_numpy(np.float32), mask, "pycortex")[mask])


def planned(tmp_path, maps: dict, n_columns: int = 20, subjects=("s1",)):
    for subject in subjects:
        write_responses(tmp_path / "responses", subject, {"story01": (10, n_columns)})
    return plan_brain_maps(maps, list(subjects), tmp_path / "responses", "story01")


def test_planning_accepts_a_matching_nifti_mask(tmp_path):
    mask = np.zeros((4, 5, 2), bool)
    mask.flat[:20] = True
    spec = {"space": "nifti", "mask": write_mask(tmp_path / "m.nii.gz", mask)}
    plan = planned(tmp_path, {"s1": spec}, subjects=("s1", "s2", "s3"))
    assert plan.entries == {"s1": spec}
    assert plan.skipped == {"s2": "no brain_maps entry", "s3": "no brain_maps entry"}
    assert skipped_lines(plan) == [
        "No brain maps for subjects s2, s3: no brain_maps entry (README, Brain maps)"]


def test_the_every_subject_entry_fills_in_each_subject_and_skips_where_it_does_not_apply(
        tmp_path, pycortex_store):
    """As config/lebel.yaml uses it: each subject's own pycortex subject and `<subject>_auto`
    transform; a subject the filestore lacks is skipped with the reason, not an error."""
    import shutil

    store = tmp_path / "store"
    (store / "UTS01" / "transforms").mkdir(parents=True)
    shutil.copytree(pycortex_store / "S1" / "transforms" / "fullhead",
                    store / "UTS01" / "transforms" / "UTS01_auto")
    every = {"space": "pycortex", "filestore": str(store), "subject": "{subject}",
             "transform": "{subject}_auto", "mask_type": "thick"}
    for subject in ("UTS01", "UTS02"):
        write_responses(tmp_path / "responses", subject, {"story01": (4, 80615)})
    plan = plan_brain_maps({"*": every}, ["UTS01", "UTS02"], tmp_path / "responses", "story01")
    assert plan.entries == {"UTS01": {**every, "subject": "UTS01", "transform": "UTS01_auto"}}
    assert list(plan.skipped) == ["UTS02"]
    assert "unknown pycortex subject 'UTS02'" in plan.skipped["UTS02"]


@pytest.mark.parametrize("case, message", [
    ("count", r"brain_maps.s1: the NIfTI mask .*m.nii.gz has 19 voxels but subject s1's responses "
              r"have 20 columns"),
    ("unreadable", r"brain_maps.s1: cannot read the NIfTI file .*broken.nii.gz"),
    ("four_d", r"brain_maps.s1: the NIfTI mask .*4d.nii.gz is not 3-D"),
    ("subject", r"brain_maps.s9: not a subject of this run \(subjects: s1\)"),
    ("foreign", r"brain_maps.s1: transform not used with space nifti"),
])
def test_bad_nifti_settings_are_named(tmp_path, case, message):
    mask = np.zeros((4, 5, 2), bool)
    mask.flat[:19] = True
    spec = {"space": "nifti", "mask": write_mask(tmp_path / "m.nii.gz", mask)}
    if case == "unreadable":
        (tmp_path / "broken.nii.gz").write_bytes(b"not a nifti file")
        spec["mask"] = str(tmp_path / "broken.nii.gz")
    if case == "four_d":
        spec["mask"] = write_mask(tmp_path / "4d.nii.gz", np.ones((2, 2, 5, 1), bool))
    if case == "foreign":
        mask.flat[19] = True
        spec = {**spec, "mask": write_mask(tmp_path / "m.nii.gz", mask), "transform": "x"}
    maps = {"s9" if case == "subject" else "s1": spec}
    with pytest.raises(InputError, match=message):
        planned(tmp_path, maps)


@pytest.mark.parametrize("change, message", [
    ({"subject": "S7"}, r"unknown pycortex subject 'S7' in filestore .* \(it holds: S1\)"),
    ({"transform": "nope"}, r"unknown transform 'nope' of pycortex subject 'S1' .*it has: fullhead"),
    ({}, r"mask 'count21' of pycortex subject 'S1', transform 'fullhead' has 21 voxels but "
         r"subject s1's responses have 20 columns"),
])
def test_bad_pycortex_settings_are_named(tmp_path, pycortex_store, change, message):
    write_pycortex_mask(pycortex_store, "count21", 21)
    spec = {"space": "pycortex", "filestore": str(pycortex_store), "subject": "S1",
            "transform": "fullhead", "mask_type": "count21", **change}
    with pytest.raises(InputError, match=message):
        planned(tmp_path, {"s1": spec})


def test_without_pycortex_the_demo_has_no_brain_and_pycortex_entries_say_how_to_install(
        monkeypatch, tmp_path):
    import importlib.util

    from speech_encoding.demo.planning import demo_brain_filestore, demo_brain_notice

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "cortex" else found(name, *args))
    config = {"demo": {"brain": {"subject": "S1", "transform": "fullhead", "roi": "AC"}}}
    assert demo_brain_filestore(config, "results/demo/brain") is None
    assert "pip install -e '.[maps]'" in demo_brain_notice(config)
    assert demo_brain_notice({"demo": {}}) is None
    every = {"space": "pycortex", "filestore": str(tmp_path), "subject": "S1", "transform": "fullhead"}
    plan = planned(tmp_path, {"*": every})
    assert plan.entries == {} and "brain maps need cortex, which is not installed: pip install -e " \
        "'.[maps]'" in plan.skipped["s1"]
    with pytest.raises(InputError, match=r"brain_maps.s1: brain maps need cortex"):
        planned(tmp_path, {"s1": every})


def test_the_demo_finds_pycortexs_example_subject_where_this_environment_installed_it(
        monkeypatch, tmp_path):
    """pycortex remembers the first environment's filestore per user: when that one is gone, the
    subject installed with this environment's pycortex is used."""
    from speech_encoding.demo import brain

    monkeypatch.setattr(brain, "default_filestore", lambda: str(tmp_path / "gone"))
    assert (brain.installed_subject("S1") / "transforms" / "fullhead").is_dir()
    with pytest.raises(InputError, match=r"demo.brain.subject: no pycortex subject 'S9' in .*gone or "):
        brain.installed_subject("S9")
