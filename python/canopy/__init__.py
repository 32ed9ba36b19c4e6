"""Canopy from Python: load scenarios, override them, run them, calibrate them.

    import canopy
    s = canopy.load_scenario("scenarios/reference.toml")
    run = canopy.run(s.with_overrides({"births_per_month": 12}), replicates=200)
    run.indicators["leaders_2023"]          # numpy array [replicate, time]
    run.summary["targets"][0]["p_attain"]   # the summary `canopy run --json` writes

docs/python.md walks through a session. The compiled core is canopy._canopy (pybind11); set
PYTHONPATH to the build's python/ directory (build/python for the release preset).
"""

import os

from ._canopy import (  # noqa: F401  (the public API)
    Error,
    InputError,
    Run,
    Scenario,
    __build_id__,
    __version__,
    calibrate,
    load_scenario,
    model_info,
    models,
    read_calibration,
    run,
)
from ._canopy import _check_sweep


def read_sweep(path):
    """A sweep result (canopy sweep --out) as nested dicts of numpy arrays and attributes.

    Every group becomes a dict, every dataset a numpy array (strings decoded), and each
    group's attributes sit under the key "attrs". The layout is docs/output-format.md's;
    xarray.open_dataset(path, group=..., engine="h5netcdf") reads the same file with named
    dimensions. Needs h5py (Debian: python3-h5py). `path` is a str, bytes or os.PathLike.
    Raises InputError, naming the file's kind, for a file that is not a sweep result (a
    calibration's posterior, say), and with HDF5's words for a file damaged or cut short; also
    for a file whose checksum does not match its data or that has no checksum.
    """
    import h5py  # only this helper needs it

    def convert(value):
        if isinstance(value, bytes):
            return value.decode("utf-8")
        if hasattr(value, "dtype") and value.dtype.kind in ("O", "S"):
            return [v.decode("utf-8") if isinstance(v, bytes) else v for v in value.tolist()]
        return value

    def walk(group):
        out = {"attrs": {k: convert(v) for k, v in group.attrs.items()}}
        for name, item in group.items():
            out[name] = walk(item) if isinstance(item, h5py.Group) else convert(item[()])
        return out

    # A bytes or os.PathLike path is the same file; messages name it as text (a bytes path read
    # "b'...'").
    path = os.fsdecode(path)
    allowed = "a file written by canopy sweep or canopy merge"
    # The file is the user's input: a missing file or one that is not HDF5 is bad input naming
    # it, as read_calibration's (h5py's FileNotFoundError or OSError would name neither).
    if not os.path.exists(path):
        raise _input_error(path, "path", "%r: no such file" % str(path), allowed)
    if not os.path.isfile(path):
        raise _input_error(path, "path", "%r: not a regular file" % str(path), allowed)
    if not h5py.is_hdf5(path):
        raise _input_error(path, "path", "%r: not an HDF5 file" % str(path), allowed)
    try:
        return _read_sweep_file(path, h5py, convert, walk, allowed)
    except (OSError, RuntimeError, KeyError) as e:
        # A file cut short or damaged where HDF5 checks itself (h5py's OSError named no file;
        # a damaged attribute is h5py's KeyError or RuntimeError "incorrect metadata checksum").
        raise _input_error(path, "path", "%r cannot be read: the file is damaged or cut short "
                           "(%s)" % (str(path), e), allowed, "- run the sweep or merge that "
                           "wrote it again") from None


def _read_sweep_file(path, h5py, convert, walk, allowed):
    """read_sweep's reading, once the path is an HDF5 file; h5py's OSError passes through."""
    with h5py.File(path, "r") as f:
        # Any other result (a calibration's posterior, a run's series) would come back as a
        # dict all the same, read as a sweep by whoever takes it: refuse it, naming its kind.
        # Not attrs.get: it returns None for an attribute HDF5 cannot read (a damaged file),
        # which was then called "no root attribute kind". `in` raises for a damaged file.
        kind = convert(f.attrs["kind"]) if "kind" in f.attrs else None
        if kind != "sweep":
            found = (
                "its root attribute kind is %r" % kind
                if kind is not None
                else "it has no root attribute kind (a canopy run or compare result?)"
            )
            hint = "canopy.read_calibration reads it" if kind == "calibration" else ""
            message = "%r is not a sweep result: %s" % (str(path), found)
            raise _input_error(path, "kind", message, allowed, hint)
    # Read as canopy merge reads it first, so that a file damaged on disk is refused, not
    # returned; so is a file without a checksum (written before Canopy stored one, or edited and
    # its checksum deleted), which could say anything.
    _check_sweep(path)
    with h5py.File(path, "r") as f:
        return walk(f)


def _input_error(path, key, message, allowed, hint=""):
    """InputError with one diagnostic about the file `path`, as the compiled part raises it."""
    text = "%s: %s (allowed: %s)" % (key, message, allowed) + (" " + hint if hint else "")
    # "FILE: error: ...", one line per diagnostic, as the compiled part formats them.
    # A name that is not UTF-8 shows its bytes as \xNN, as the compiled part's messages do.
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
    error = InputError("bad argument 'path':\n%s: error: %s\n" % (shown, text))
    error.diagnostics = [
        {
            "file": str(path),
            "line": 0,
            "column": 0,
            "key": key,
            "message": message,
            "allowed": allowed,
            "hint": hint,
            "error": True,
        }
    ]
    return error
