"""Reading untrusted files: regular files only, array headers checked before any data.

Models, weights and inputs come from users and, for a service compiling models it did not
write, from strangers.  Everything here refuses what is not a regular file (a named pipe
would block, ``/dev/zero`` never ends, a directory is not data), bounds what it reads, and
reads an array's header — shape and dtype — before its data, so a header declaring
``(10**15,)`` costs nothing.  Pickles are never loaded.  Every refusal is the caller's
error class with one plain sentence.
"""

from __future__ import annotations

import os
import stat
import zipfile

import numpy as np

from qcompile.errors import QcompileError

#: largest .qtf source read (a 1 MB line is legal; gigabytes are not a model)
MAX_SOURCE_BYTES = 8 * 2**20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


def open_regular(path, what: str, error=QcompileError, location=None, shown: str | None = None):
    """``path`` opened for binary reading once it is known to be a regular file.

    The file is opened without blocking (a FIFO opens at once) and checked with ``fstat``
    on the open descriptor, so it cannot be swapped between check and read.  ``what``
    names it in messages (``"weight file"``); ``shown`` replaces the path in them."""
    name = shown if shown is not None else str(path)
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{what} '{name}' does not exist", location) from None
    except (TypeError, ValueError):
        raise error(f"{what} {name!r} is not a valid path", location) from None
    except OSError as exc:
        raise error(f"{what} '{name}' cannot be read ({exc.strerror or exc})", location) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:  # pragma: no cover - fstat on an open descriptor
        os.close(fd)
        raise error(f"{what} '{name}' cannot be read ({exc.strerror})", location) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                if stat.S_ISSOCK(mode) else "not a regular file")
        raise error(f"{what} '{name}' is {kind}, not a regular file", location)
    return os.fdopen(fd, "rb")


def read_text(path, what: str, max_bytes: int = MAX_SOURCE_BYTES, error=QcompileError) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes (a leading
    byte-order mark is dropped)."""
    with open_regular(path, what, error) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{what} '{path}' is larger than {max_bytes // 2**20} MiB; a .qtf model is a short text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} '{path}' is not UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def npy_header(fh, what: str, error=QcompileError, location=None) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from the header of the ``.npy`` data at ``fh``'s
    position, without reading the data; object (pickled) dtypes are refused."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"version {version}")
    except (ValueError, EOFError, OSError, SyntaxError, TypeError, zipfile.BadZipFile) as exc:
        raise error(f"{what} is not a readable .npy array ({_first_line(exc)})", location) from None
    if dtype.hasobject:
        raise error(f"{what} is an object array (pickled data), which qcompile refuses to load", location)
    return tuple(int(n) for n in shape), bool(fortran), dtype


def _first_line(exc) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def check_real_dtype(dtype: np.dtype, what: str, error=QcompileError, location=None,
                     kinds: str = "fiu") -> None:
    """Refuse complex, boolean, text and structured arrays."""
    if dtype.kind not in kinds or dtype.fields is not None:
        words = {"c": "complex numbers", "b": "booleans", "U": "text", "S": "bytes", "V": "structured records"}
        held = words.get(dtype.kind, "other data")
        raise error(f"{what} has dtype {dtype} ({held}), but it must hold real numbers", location)


def read_npy(path, what: str, shape: tuple[int, ...] | None = None, error=QcompileError,
             kinds: str = "fiu") -> np.ndarray:
    """The array of a ``.npy`` file whose header says ``shape`` (when given) and a real
    dtype; an ``.npz`` archive, a pickle or a header that disagrees is refused before any
    data is read, and so is an array larger than the memory limit."""
    from qcompile.validate import check_memory

    with open_regular(path, what, error) as fh:
        magic = fh.read(6)
        if magic.startswith(_ZIP_MAGIC):
            raise error(f"{what} '{path}' is an .npz archive; give one array saved with numpy.save (.npy)")
        if not magic.startswith(_NPY_MAGIC):
            raise error(f"{what} '{path}' is not a .npy array" + (" (it holds pickled data)"
                                                                 if magic.startswith(b"\x80") else ""))
        fh.seek(0)
        got, fortran, dtype = npy_header(fh, f"{what} '{path}'", error)
        check_real_dtype(dtype, f"{what} '{path}'", error, kinds=kinds)
        if shape is not None and got != tuple(shape):
            raise error(f"{what} '{path}' has shape {list(got)}, but the model expects {list(shape)}")
        check_memory(_size(got) * dtype.itemsize, f"{what} '{path}'")
        fh.seek(0)
        try:
            return np.lib.format.read_array(fh, allow_pickle=False)
        except (ValueError, EOFError, OSError) as exc:
            raise error(f"{what} '{path}' is not a readable .npy array ({_first_line(exc)})") from None


class NpzArchive:
    """An ``.npz`` archive read member by member: :attr:`headers` (name -> (shape, dtype))
    come from each member's header alone; :meth:`read` reads one array.  Use as a context
    manager."""

    def __init__(self, fh, what: str, error=QcompileError, location=None):
        self.what, self.error, self.location = what, error, location
        self._fh = fh
        try:
            self._zip = zipfile.ZipFile(fh)
            names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            fh.close()
            raise error(f"{what} is not a readable .npz archive", location) from None
        try:
            self._read_headers(names)
        except BaseException:
            self.close()
            raise

    def _read_headers(self, names) -> None:
        what, error, location = self.what, self.error, self.location
        self.members = {n[:-4] if n.endswith(".npy") else n: n for n in names}
        self.headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        for key, member in self.members.items():
            try:
                with self._zip.open(member) as mf:
                    shape, _, dtype = npy_header(mf, f"weight '{key}' in {what}", error, location)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
                raise error(f"weight '{key}' in {what} cannot be read", location) from None
            self.headers[key] = (shape, dtype)

    def read(self, key: str) -> np.ndarray:
        """The array ``key`` (its header was checked by the caller)."""
        try:
            with self._zip.open(self.members[key]) as mf:
                return np.lib.format.read_array(mf, allow_pickle=False)
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError):
            raise self.error(f"weight '{key}' in {self.what} cannot be read", self.location) from None

    def close(self) -> None:
        """Close the archive and its file."""
        self._zip.close()
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["MAX_SOURCE_BYTES", "NpzArchive", "check_real_dtype", "npy_header", "open_regular", "read_npy",
           "read_text"]
