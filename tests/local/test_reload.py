"""The --reload source watcher: which file changes it notices and where it never looks."""

from __future__ import annotations

import os
from pathlib import Path

from faasgi.local.reload import SourceWatcher


def touch_later(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_changed_lists_modified_added_and_removed_sources(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    kept, edited, removed = (tmp_path / "a.py"), (tmp_path / "pkg" / "b.py"), tmp_path / "c.py"
    for path in (kept, edited, removed):
        path.write_text("x = 1\n")
    watcher = SourceWatcher([str(tmp_path)])

    touch_later(edited, "x = 2\n")
    (tmp_path / "pkg" / "new.py").write_text("")
    removed.unlink()

    assert watcher.changed() == sorted(
        [str(edited), str(tmp_path / "pkg" / "new.py"), str(removed)]
    )
    assert watcher.changed() == []


def test_virtual_environments_hidden_directories_and_other_files_are_ignored(
    tmp_path: Path,
) -> None:
    for directory in (".venv", "env", "__pycache__", ".git", "node_modules"):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "m.py").write_text("")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "notes.txt").write_text("")
    watcher = SourceWatcher([str(tmp_path)])

    for directory in (".venv", "env", "__pycache__", ".git", "node_modules"):
        touch_later(tmp_path / directory / "m.py", "changed")
    touch_later(tmp_path / "notes.txt", "changed")

    assert watcher.snapshot() == {}
    assert watcher.changed() == []
