"""A pickle reader that runs no code from the pickle: only an allow-list of constructors is resolved.

Allowed: builtin containers and scalars, numpy array / dtype / scalar reconstruction (numpy 1.x
`numpy.core.*` and 2.x `numpy._core.*` paths), pure paths, and the tutorial library's two classes.
A global named `SimpleNeuroidAssembly` or `StoryData` whose module path has a dotted component
`encoding` (e.g. `encoding.assembly.assemblies`, `encoding.assembly.story_data`, older
`encoding.story_data`) becomes a plain local record holding the pickled attributes. Any other
global is refused with an InputError naming its module and name, before anything is called.
"""

from __future__ import annotations

import _compat_pickle
import builtins
import codecs
import collections
import pathlib
import pickle
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from ...errors import InputError

LIBRARY_PACKAGE = "encoding"


class PickledRecord:
    """The attributes of a pickled instance, without its class's code."""

    def __setstate__(self, state: Any) -> None:
        """Take a pickled instance's state: a dict, or (dict, slots dict) for slotted classes."""
        parts = state if isinstance(state, tuple) else (state,)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, dict) or not all(isinstance(key, str) for key in part):
                raise InputError(f"{type(self).__name__}: pickled state must be a dict of "
                                 f"attributes, got {type(part).__name__}")
            self.__dict__.update(part)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(sorted(self.__dict__))})"


class AssemblyRecord(PickledRecord):
    """A pickled `SimpleNeuroidAssembly`: stories, story_data, validation_method, data, ..."""


class StoryRecord(PickledRecord):
    """A pickled `StoryData`: name, brain_data, tr_times, audio_path, ..."""


LIBRARY_CLASSES: dict[str, type[PickledRecord]] = {
    "SimpleNeuroidAssembly": AssemblyRecord,
    "StoryData": StoryRecord,
}


_NUMPY_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_NUMPY_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]
_NUMPY_SCALAR = np.float64(0).__reduce__()[0]


def _array_reconstruct(subtype: type, shape: Any, dtype: Any) -> np.ndarray:
    """numpy's _reconstruct, for plain ndarrays only."""
    if subtype is not np.ndarray:
        raise InputError(f"pickle asks to rebuild an array of type {subtype!r}; "
                         "only numpy.ndarray is allowed")
    return _NUMPY_RECONSTRUCT(subtype, shape, dtype)


def _object_reconstructor(cls: type, base: type, state: Any) -> PickledRecord:
    """copyreg._reconstructor (protocols 0 and 1), for the local records only."""
    if base is not object or not (isinstance(cls, type) and issubclass(cls, PickledRecord)):
        raise InputError(f"pickle asks to rebuild {cls!r} from {base!r}; not allowed")
    return cls.__new__(cls)


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    """_codecs.encode as protocol-2 pickles use it for bytes (latin-1 only)."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise InputError(f"pickle asks to encode text as {encoding!r}; only latin-1 is allowed")
    return text.encode("latin-1")


def _numpy_globals() -> dict[tuple[str, str], Callable]:
    allowed: dict[tuple[str, str], Callable] = {("numpy", "ndarray"): np.ndarray,
                                                ("numpy", "dtype"): np.dtype}
    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = _array_reconstruct
        allowed[(f"{core}.multiarray", "scalar")] = _NUMPY_SCALAR
        allowed[(f"{core}.numeric", "_frombuffer")] = _NUMPY_FROMBUFFER
    return allowed


BUILTINS = ("list", "dict", "set", "frozenset", "tuple", "slice", "complex", "bytearray", "object")
PATHS = {"PurePosixPath": pathlib.PurePosixPath, "PosixPath": pathlib.PurePosixPath,
         "PureWindowsPath": pathlib.PureWindowsPath, "WindowsPath": pathlib.PureWindowsPath}

ALLOWED_GLOBALS: dict[tuple[str, str], Callable] = {
    **{("builtins", name): getattr(builtins, name) for name in BUILTINS},
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("copyreg", "_reconstructor"): _object_reconstructor,
    ("_codecs", "encode"): _latin1_encode,
    **{(module, name): cls for module in ("pathlib", "pathlib._local") for name, cls in PATHS.items()},
    **_numpy_globals(),
}


def is_library_module(module: str) -> bool:
    """True when a module path belongs to the tutorial library (has a component `encoding`)."""
    return LIBRARY_PACKAGE in module.split(".")


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose globals come only from ALLOWED_GLOBALS and LIBRARY_CLASSES."""

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an allowed global (Python 2 names mapped as pickle does); refuse the rest, naming it."""
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if name in LIBRARY_CLASSES and is_library_module(module):
            return LIBRARY_CLASSES[name]
        if (module, name) in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[(module, name)]
        raise InputError(f"pickle refers to {module}.{name}, which is not allowed "
                         "(only numpy arrays, builtin containers and the tutorial's assembly "
                         "classes are read)")


def restricted_load(handle: IO[bytes], what: str) -> Any:
    """Unpickle from an open binary file with RestrictedUnpickler; errors name `what`."""
    try:
        return RestrictedUnpickler(handle).load()
    except InputError as error:
        raise InputError(f"{what}: {error}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, OverflowError, MemoryError) as error:
        raise InputError(f"{what}: not a readable assembly pickle "
                         f"({type(error).__name__}: {error})") from None
