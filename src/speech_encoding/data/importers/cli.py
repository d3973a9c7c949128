"""Console entry points of the importers (see [project.scripts] in pyproject.toml)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from ...errors import InputError
from .assembly_pickle import import_assembly
from .lebel_ds003020 import TEST_STORY, import_lebel

log = logging.getLogger(__name__)


def _run(parser: argparse.ArgumentParser, argv: list[str] | None,
         action: Callable[[argparse.Namespace, list[str]], None]) -> int:
    """Parse `argv`, run `action(args, command line)`; an InputError becomes exit status 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        action(args, [parser.prog, *argv])
    except InputError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    log.info("dataset written to %s", args.out)
    return 0


def import_assembly_main(argv: list[str] | None = None) -> int:
    """speech-encoding-import-assembly: a tutorial assembly pickle + audio folder -> dataset folder."""
    parser = argparse.ArgumentParser(
        prog="speech-encoding-import-assembly",
        description="Import a pickled SimpleNeuroidAssembly (read without running code from it) "
                    "and its stories' audio into a dataset folder. The last story of the "
                    "assembly is the test story.")
    parser.add_argument("pickle", type=Path, help="the assembly pickle, e.g. assembly_lebel_uts03.pkl")
    parser.add_argument("--subject", required=True, help="subject name (the responses folder)")
    parser.add_argument("--audio-dir", required=True, type=Path,
                        help="folder holding <story>.wav for every story of the assembly")
    parser.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    return _run(parser, argv, lambda args, command: import_assembly(
        args.pickle, args.subject, args.audio_dir, args.out, command))


def import_lebel_main(argv: list[str] | None = None) -> int:
    """speech-encoding-import-lebel: a downloaded OpenNeuro ds003020 folder -> dataset folder."""
    parser = argparse.ArgumentParser(
        prog="speech-encoding-import-lebel",
        description="Import the LeBel et al. dataset (OpenNeuro ds003020) into a dataset folder: "
                    "the tutorial's TR grid, audio copies and float32 responses.")
    parser.add_argument("root", type=Path, help="the ds003020 folder (holding derivative/ and stimuli/)")
    parser.add_argument("--subjects", required=True, nargs="+", help="subjects, e.g. UTS01 UTS02")
    parser.add_argument("--stories", nargs="+", default=None,
                        help="stories to import (default: every story in respdict.json that has "
                             "audio and responses for every subject)")
    parser.add_argument("--test-story", default=TEST_STORY, help=f"held-out story (default {TEST_STORY})")
    parser.add_argument("--out", required=True, type=Path, help="dataset folder to write")
    return _run(parser, argv, lambda args, command: import_lebel(
        args.root, args.subjects, args.out, command, stories=args.stories, test_story=args.test_story))
