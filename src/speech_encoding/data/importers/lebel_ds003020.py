"""Importing the LeBel et al. dataset as published on OpenNeuro (ds003020).

Layout read: `derivative/respdict.json` (story -> TRs acquired, N), `stimuli/<story>.wav` and
`derivative/preprocessed_data/<subject>/<story>.hf5` (dataset `data`, N - 20 rows x voxels, and
for a story heard several times, typically the test story, `individual_repeats`, repeats x rows x
voxels); `derivative/pycortex-db` (the subjects' pycortex filestore), when present, is linked.
Each story's feature grid is the tutorial's: N - 5 TRs of 2 s, TR k at 2k - 9 s from the audio's
start; trimmed [10:-5] it has the N - 20 rows of the responses (config/lebel.yaml).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from ...errors import InputError
from ..manifest import Story, check_safe_name
from .dataset_folder import DatasetFolder, StorySource, sha256

log = logging.getLogger(__name__)

TR = 2.0
TR_OFFSET = -9.0
FEATURE_TRS_DROPPED = 5
RESPONSE_TRS_DROPPED = 20
TEST_STORY = "wheretheressmoke"
REPEATS_DATASET = "individual_repeats"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise InputError("reading ds003020 needs h5py: pip install 'speech-encoding[lebel]'") from None
    return h5py


class Ds003020:
    """Paths and metadata of a downloaded ds003020 folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.respdict_path = self.root / "derivative" / "respdict.json"
        if not self.respdict_path.is_file():
            raise InputError(f"{self.root}: no derivative/respdict.json; is this a ds003020 download?")
        self.n_trs = self._read_respdict()

    def _read_respdict(self) -> dict[str, int]:
        try:
            table = json.loads(self.respdict_path.read_text())
        except json.JSONDecodeError as error:
            raise InputError(f"{self.respdict_path}: not valid JSON ({error})") from None
        if not isinstance(table, dict):
            raise InputError(f"{self.respdict_path}: expected a JSON object of story -> TR count")
        bad = [f"{story}={n!r}" for story, n in table.items()
               if not isinstance(n, int) or n <= RESPONSE_TRS_DROPPED]
        if bad:
            raise InputError(f"{self.respdict_path}: TR counts must be integers > "
                             f"{RESPONSE_TRS_DROPPED}, got {', '.join(bad)}")
        return table

    def audio(self, story: str) -> Path:
        """The story's stimulus audio."""
        return self.root / "stimuli" / f"{story}.wav"

    def response_file(self, subject: str, story: str) -> Path:
        """One subject's preprocessed responses to one story."""
        return self.root / "derivative" / "preprocessed_data" / subject / f"{story}.hf5"

    def check_subjects(self, subjects: Sequence[str]) -> None:
        """Every subject must have a preprocessed_data folder."""
        folder = self.root / "derivative" / "preprocessed_data"
        missing = [s for s in subjects if not (folder / s).is_dir()]
        if missing:
            available = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
            raise InputError(f"{folder}: no folder for subject(s) {', '.join(missing)} "
                             f"(available: {', '.join(available) or 'none'})")

    def missing_inputs(self, story: str, subjects: Sequence[str]) -> list[str]:
        """What a story lacks, described: its audio, or any subject's response file."""
        files = {f"audio of story {story}": self.audio(story),
                 **{f"responses of subject {s} to story {story}": self.response_file(s, story)
                    for s in subjects}}
        return [f"{what} ({path})" for what, path in files.items() if not path.is_file()]


def select_stories(dataset: Ds003020, subjects: Sequence[str], stories: Sequence[str] | None,
                   test_story: str) -> list[str]:
    """The stories to import: as given (all must be complete), or every complete one, test last."""
    if stories is None:
        complete = []
        for story in sorted(dataset.n_trs):
            missing = dataset.missing_inputs(story, subjects)
            if missing:
                log.warning("skipping story %s: no %s", story, "; no ".join(missing))
            else:
                complete.append(story)
        stories = [s for s in complete if s != test_story] + [s for s in complete if s == test_story]
    unknown = [s for s in stories if s not in dataset.n_trs]
    if unknown:
        raise InputError(f"{dataset.respdict_path}: no TR count for story(s) {', '.join(unknown)}")
    missing = [path for story in stories for path in dataset.missing_inputs(story, subjects)]
    if missing:
        raise InputError(f"{dataset.root}: cannot import the requested stories, missing: "
                         + "; ".join(missing))
    if test_story not in stories:
        raise InputError(f"test story {test_story!r} is not among the stories to import "
                         f"({', '.join(stories) or 'none'}); set --test-story or --stories")
    if len(stories) < 2:
        raise InputError(f"need at least one training story besides the test story {test_story!r}")
    return list(stories)


def check_rows(dataset: Ds003020, subjects: Sequence[str], stories: Sequence[str]) -> None:
    """Every response file must hold a 2-D `data` of N - 20 rows (N from respdict.json)."""
    h5py = _h5py()
    problems = []
    for subject in subjects:
        for story in stories:
            path = dataset.response_file(subject, story)
            expected = dataset.n_trs[story] - RESPONSE_TRS_DROPPED
            with h5py.File(path, "r") as handle:
                if "data" not in handle:
                    raise InputError(f"{path}: no dataset 'data' (has: {', '.join(handle)})")
                shape = handle["data"].shape
            if len(shape) != 2 or shape[0] != expected:
                problems.append(
                    f"subject {subject}, story {story}: {path.name} has {shape[0] if shape else 0} rows "
                    f"(shape {shape}), expected {expected} = {dataset.n_trs[story]} TRs in "
                    f"respdict.json - {RESPONSE_TRS_DROPPED}")
    if problems:
        raise InputError("response rows do not match respdict.json: " + "; ".join(problems))


def write_story(folder: DatasetFolder, path: Path, subject: str, story: str) -> int:
    """Write one subject's responses to one story, and its repeats when the file holds them
    (repeats x the responses' rows x voxels); the number of repeats written (0 without)."""
    h5py = _h5py()
    with h5py.File(path, "r") as handle:
        data = handle["data"]
        folder.write_responses(subject, story, data)
        if REPEATS_DATASET not in handle:
            return 0
        repeats = handle[REPEATS_DATASET]
        if repeats.ndim != 3 or tuple(repeats.shape[1:]) != tuple(data.shape):
            raise InputError(f"{path}: {REPEATS_DATASET} has shape {repeats.shape}; expected repeats x "
                             f"the shape of 'data' {data.shape}")
        if repeats.shape[0] < 2:
            log.warning("subject %s, story %s: %s holds %d repeat; not written (a ceiling needs 2)",
                        subject, story, REPEATS_DATASET, repeats.shape[0])
            return 0
        folder.write_repeats(subject, story, repeats)
        return int(repeats.shape[0])


def link_pycortex_db(dataset: Ds003020, out: Path, subjects: Sequence[str]) -> dict | None:
    """Link `<out>/pycortex-db` to the dataset's pycortex filestore (`derivative/pycortex-db`, the
    subjects' surfaces, transforms and masks, which config/lebel.yaml draws flatmaps with); what
    it holds for `subjects`, for the provenance record (None without one)."""
    source = dataset.root / "derivative" / "pycortex-db"
    if not source.is_dir():
        log.warning("no derivative/pycortex-db in %s: no flatmaps (README, Brain maps)", dataset.root)
        return None
    link = out / "pycortex-db"
    if link.is_symlink():
        link.unlink()
    if not link.exists():
        link.symlink_to(source.resolve(), target_is_directory=True)
    transforms = {subject: sorted(p.name for p in (source / subject / "transforms").iterdir())
                  if (source / subject / "transforms").is_dir() else [] for subject in subjects}
    for subject, names in transforms.items():
        if f"{subject}_auto" not in names:
            log.warning("pycortex-db has no transform %s_auto for subject %s (has: %s): "
                        "config/lebel.yaml draws no flatmaps of it", subject, subject,
                        ", ".join(names) or "none")
    log.info("pycortex filestore %s linked as %s", source.resolve(), link)
    return {"path": str(source.resolve()), "transforms": transforms}


def story_source(dataset: Ds003020, story: str, test_story: str) -> StorySource:
    """The manifest row of one story: N - 5 TRs of 2 s from -9 s."""
    return StorySource(Story(name=story, audio=dataset.audio(story), tr=TR,
                             n_trs=dataset.n_trs[story] - FEATURE_TRS_DROPPED,
                             split="test" if story == test_story else "train", tr_offset=TR_OFFSET))


def import_lebel(root: str | Path, subjects: Sequence[str], out: str | Path, command: list[str],
                 stories: Sequence[str] | None = None, test_story: str = TEST_STORY) -> None:
    """Turn a downloaded ds003020 folder into a dataset folder for the given subjects."""
    for subject in subjects:
        check_safe_name(subject, "subject")
    dataset = Ds003020(root)
    dataset.check_subjects(subjects)
    names = select_stories(dataset, subjects, stories, test_story)
    check_rows(dataset, subjects, names)
    folder = DatasetFolder(out)
    folder.add_stories([story_source(dataset, story, test_story) for story in names])
    folder.make_repeats_folder()
    repeated = {}
    for subject in subjects:
        counts = {story: write_story(folder, dataset.response_file(subject, story), subject, story)
                  for story in names}
        repeated[subject] = {story: count for story, count in counts.items() if count}
        log.info("subject %s: responses to %d stories written; repeats: %s", subject, len(names),
                 ", ".join(f"{story} x {count}" for story, count in repeated[subject].items()) or "none")
    pycortex_db = link_pycortex_db(dataset, Path(out), subjects)
    read = [dataset.audio(s) for s in names] + [dataset.response_file(sub, s)
                                                for sub in subjects for s in names]
    folder.record_provenance({
        "importer": "lebel_ds003020", "source": str(dataset.root.resolve()),
        "sha256": {"derivative/respdict.json": sha256(dataset.respdict_path)},
        "files": {str(path.relative_to(dataset.root)): path.stat().st_size for path in read},
        "subjects": list(subjects), "stories": names, "test_story": test_story,
        "repeats": repeated, "pycortex_db": pycortex_db}, command)
