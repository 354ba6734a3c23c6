"""An archive of many parts (an organization's export): `tar_gz_parts` pulls each part only
once the one before is in the stream, so a part's folder can be deleted as soon as the next
is asked for; `folder_name` makes folder names every file system takes, unique ignoring
case."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

from repovault.engine import archive


def _staged(folder: Path, text: str) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "file.txt").write_text(text)
    (folder / "big.bin").write_bytes(text.encode() * 300_000)  # several chunks
    return folder


def test_parts_stream_one_at_a_time_and_unpack(tmp_path: Path) -> None:
    pulled: list[str] = []

    def parts() -> Iterator[archive.Part]:
        yield "README.md", b"read me\n"
        for name in ("one", "two", "three"):
            folder = _staged(tmp_path / "scratch", name)
            pulled.append(name)
            yield name, folder
            shutil.rmtree(folder)  # the next part's turn: this one must be streamed already
        yield "index.json", b"{}\n"

    data = b"".join(archive.tar_gz_parts("org-1", parts()))
    assert pulled == ["one", "two", "three"]
    assert not (tmp_path / "scratch").exists()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "out", filter="data")
    assert names[:2] == ["org-1", "org-1/README.md"]
    assert names[-1] == "org-1/index.json"
    root = tmp_path / "out" / "org-1"
    assert (root / "README.md").read_bytes() == b"read me\n"
    for name in ("one", "two", "three"):
        assert (root / name / "sub" / "file.txt").read_text() == name
        assert (root / name / "big.bin").read_bytes() == name.encode() * 300_000
    assert len(data) < 100_000  # compressed, not stored


def test_folder_names_are_safe_and_unique() -> None:
    taken = set(archive.TOP_NAMES)
    names = [
        "acme/app",
        "ACME/App",  # the same folder on a case-insensitive file system
        "acme/app",
        "../etc",
        ".hidden",
        "con",
        "LPT1.txt",
        "index.json",
        "é/ü:*?",
        "",
        "x" * 300,
        "x" * 300,
    ]
    folders = [archive.folder_name(name, taken) for name in names]
    assert folders[:3] == ["acme_app", "ACME_App-2", "acme_app-3"]
    assert folders[3] == "_etc"
    assert folders[4] == "hidden"
    assert folders[5] == "_con"
    assert folders[6] == "_LPT1.txt"
    assert folders[7] == "index.json-2"
    assert folders[8] == "______"
    assert folders[9] == "repository"
    assert len(folders[10]) == 100
    assert len(folders[11]) == 100
    assert folders[10] != folders[11]
    assert len({f.lower() for f in folders}) == len(folders)
    for folder in folders:
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in folder)
        assert not folder.startswith((".", "-"))
        assert not folder.endswith(".")
