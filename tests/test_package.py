"""`faasgi package` and the modules behind it: what goes into the zip, that the zip is
byte-reproducible, what the manifest says, and that the size limits and the smoke test fail
with their documented messages. pip runs offline against wheels built here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import http.client
import io
import json
import os
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path
from typing import Any

import pytest
import yaml

from faasgi.cli import main as cli
from faasgi.package import configure
from faasgi.packaging import PackageError, archive, closure, limits, requirements
from faasgi.packaging.contents import Entry, installed_entries
from faasgi.packaging.environment import smoke_environment
from faasgi.packaging.ignore import Ignore, parse
from faasgi.packaging.install import PipOptions, pip_command
from faasgi.packaging.project import scan
from faasgi.packaging.target import Target

LOCAL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
#: A Python version other than this one: the target of a cross build.
OTHER_PYTHON = "3.12" if LOCAL_PYTHON != "3.12" else "3.11"

APP = """\
from faasgi import serverless
{imports}

def app(environ, start_response):
    start_response("{status}", [("Content-Type", "text/plain")])
    return [b"hello from the package"]

handler = serverless(app)
"""


# -- helpers ---------------------------------------------------------------------------------


def record_hash(data: bytes) -> str:
    return "sha256=" + urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(
    folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()
) -> Path:
    """A pure-Python wheel, written by hand so the tests need no index and no build backend."""
    info = f"{name}-{version}.dist-info"
    contents = {path: text.encode() for path, text in files.items()}
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    contents[f"{info}/METADATA"] = metadata.encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: faasgi-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    rows = [(path, record_hash(data), str(len(data))) for path, data in contents.items()]
    rows.append((f"{info}/RECORD", "", ""))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    contents[f"{info}/RECORD"] = buffer.getvalue().encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as out:
        for path, data in contents.items():
            out.writestr(path, data)
    return wheel


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    make_wheel(
        folder,
        "tinydep",
        "1.0",
        {"tinydep/__init__.py": "GREETING = 'hi'\n", "tinydep/data.txt": "payload\n"},
    )
    # Needs a backport on the other Python only: pip, reading markers for this one, skips it.
    make_wheel(
        folder,
        "usesbackport",
        "1.0",
        {"usesbackport/__init__.py": ""},
        (f'backport>=1.0; python_version == "{OTHER_PYTHON}"',),
    )
    make_wheel(folder, "backport", "1.0", {"backport/__init__.py": ""})
    return folder


def write_project(
    root: Path, *, imports: str = "", status: str = "200 OK", requirements: str = ""
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(APP.format(imports=imports, status=status))
    if requirements:
        (root / "requirements.txt").write_text(requirements)
    return root


def package(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str, wheelhouse: Path | None = None
) -> tuple[int, str, str]:
    argv = ["package", "app:handler", "--project", str(root), *args]
    if wheelhouse is not None:
        argv += ["--find-links", str(wheelhouse), "--no-index"]
    status = cli(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def digest_line(out: str) -> tuple[str, str]:
    sha, _, path = out.strip().splitlines()[-1].partition("  ")
    return sha, path


# -- targets and pip -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "newest", "oldest"),
    [
        (Target("aws", "3.12"), "manylinux_2_34_x86_64", "manylinux2014_x86_64"),
        (Target("aws", "3.11"), "manylinux_2_26_x86_64", "manylinux2014_x86_64"),
        (Target("aws", "3.12", "arm64"), "manylinux_2_34_aarch64", "manylinux2014_aarch64"),
        (Target("fc", "3.10"), "manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    ],
)
def test_wheel_tags_span_every_glibc_up_to_the_runtimes(
    target: Target, newest: str, oldest: str
) -> None:
    tags = target.pip_platforms()
    assert tags[0] == newest
    assert tags[-1] == oldest
    assert f"manylinux_2_17_{target.machine}" in tags


def test_function_compute_has_no_arm64_runtime() -> None:
    with pytest.raises(ValueError, match="x86_64 only"):
        Target("fc", "3.10", "arm64")


def test_pip_installs_wheels_for_the_target_not_for_this_machine(tmp_path: Path) -> None:
    command = pip_command(Target("aws", "3.12"), tmp_path / "r.txt", tmp_path / "s", PipOptions())
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--abi") + 1] == "cp312"
    assert command[command.index("--implementation") + 1] == "cp"
    assert "--only-binary=:all:" in command
    assert "--no-compile" in command
    assert command.count("--platform") == len(Target("aws", "3.12").pip_platforms())


def test_allow_source_drops_the_target_tags(tmp_path: Path) -> None:
    command = pip_command(
        Target("aws", "3.12"), tmp_path / "r.txt", tmp_path / "s", PipOptions(only_binary=False)
    )
    assert "--platform" not in command
    assert "--only-binary=:all:" not in command


# -- requirements ----------------------------------------------------------------------------


def test_faasgi_requirement_is_vendored_and_its_extras_installed(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask>=3  # the app\nFaaSGI[aws]==0.1\n")
    found = requirements.find(tmp_path)
    assert found.origin == "requirements.txt"
    assert found.faasgi_extras == ["aws"]
    assert "flask>=3" in found.lines
    assert not any("faasgi" in line.lower() for line in found.lines)
    assert any(line.startswith("boto3") for line in found.lines)


def test_nested_requirement_files_are_inlined_and_paths_made_absolute(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "wheels").mkdir()
    (tmp_path / "reqs" / "base.txt").write_text("itsdangerous\nfaasgi\n")
    (tmp_path / "requirements.txt").write_text(
        "-r reqs/base.txt\n--find-links wheels\nclick \\\n  >=8\n"
    )
    found = requirements.find(tmp_path)
    assert found.lines == ["itsdangerous", f"--find-links {tmp_path / 'wheels'}", "click   >=8"]


def test_pyproject_dependencies_are_used_without_requirements_txt(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["jinja2>=3", "faasgi"]\n'
    )
    found = requirements.find(tmp_path)
    assert found.origin == "pyproject.toml [project.dependencies]"
    assert found.lines == ["jinja2>=3"]
    assert not found.faasgi_extras


def test_a_project_without_requirements_installs_nothing(tmp_path: Path) -> None:
    found = requirements.find(tmp_path)
    assert not found
    assert found.origin == ""


def test_editable_requirements_are_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-e ./lib\n")
    with pytest.raises(PackageError, match="editable"):
        requirements.find(tmp_path)


# -- what pip skips ----------------------------------------------------------------------


def write_dist(site: Path, name: str, *requires: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = "".join(f"Requires-Dist: {line}\n" for line in requires)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{lines}")


def test_requirements_are_read_with_the_targets_markers(tmp_path: Path) -> None:
    write_dist(
        tmp_path,
        "anyio",
        'exceptiongroup>=1.0.2; python_version < "3.11"',
        "idna>=2.8",
        'trio>=0.23; extra == "trio"',
        'uvloop; platform_machine == "aarch64" and sys_platform == "linux"',
    )
    write_dist(tmp_path, "idna")
    found = closure.missing([tmp_path], Target("fc", "3.10"), {})
    assert [(m.name, m.specifiers, m.required_by) for m in found] == [
        ("exceptiongroup", ["exceptiongroup>=1.0.2"], ["anyio"])
    ]
    arm = closure.missing([tmp_path], Target("aws", "3.12", "arm64"), {"anyio": {"trio"}})
    assert [m.name for m in arm] == ["trio", "uvloop"]


def test_extras_asked_for_by_other_distributions_are_followed(tmp_path: Path) -> None:
    write_dist(tmp_path, "app-deps", "server[fast]")
    write_dist(tmp_path, "server", 'speedups; extra == "fast"')
    found = closure.missing([tmp_path], Target("aws", "3.12"), {})
    assert [(m.name, m.required_by) for m in found] == [("speedups", ["server"])]


@pytest.mark.slow
def test_dependencies_pip_skipped_for_the_target_are_added(
    tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The wheelhouse is named in the requirements file: the extra round must use it too.
    requirements = f"--find-links {wheelhouse}\nusesbackport\n"
    project = write_project(tmp_path / "proj", requirements=requirements)
    status, out, err = package(
        project, capsys, "--platform", "aws", "--python", OTHER_PYTHON, "--no-index"
    )
    assert status == 0, err
    assert f"added backport: usesbackport needs it on python{OTHER_PYTHON}" in out
    with zipfile.ZipFile(project / "dist" / "proj-aws.zip") as built:
        assert "backport/__init__.py" in built.namelist()
    # Built for this machine's Python, the marker is false and nothing is added.
    status, out, err = package(
        project, capsys, "--platform", "aws", "--python", LOCAL_PYTHON, "--no-index"
    )
    assert status == 0, err
    assert "added backport" not in out


# -- which project files go in ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "path", "is_dir", "excluded"),
    [
        (["*.log"], "a/b/debug.log", False, True),
        (["/secret.txt"], "secret.txt", False, True),
        (["/secret.txt"], "sub/secret.txt", False, False),
        (["docs/"], "docs", True, True),
        (["docs/"], "docs", False, False),
        (["static/**/*.map"], "static/js/app.js.map", False, True),
        (["static/**/*.map"], "static/app.js.map", False, True),
        (["**/fixtures"], "a/b/fixtures", True, True),
        (["data/*"], "data/big/blob.bin", False, False),
        (["data/*"], "data/blob.bin", False, True),
        (["*.txt", "!keep.txt"], "keep.txt", False, False),
        (["*.txt", "!keep.txt"], "drop.txt", False, True),
        (["file[0-9].py"], "file7.py", False, True),
        (["file[!0-9].py"], "file7.py", False, False),
        (["# comment", "", "\\#hash"], "#hash", False, True),
    ],
)
def test_faasgiignore_patterns_follow_gitignore_rules(
    patterns: list[str], path: str, is_dir: bool, excluded: bool
) -> None:
    assert Ignore(parse(patterns)).excluded(path, is_dir) is excluded


def test_builtin_exclusions_and_faasgiignore_shape_the_project(tmp_path: Path) -> None:
    for name in (
        "app.py",
        "pkg/__init__.py",
        "pkg/__pycache__/mod.cpython-311.pyc",
        "pkg/tests/test_mod.py",
        ".git/HEAD",
        ".venv/bin/python",
        "env/pyvenv.cfg",
        "env/lib/x.py",
        "dist/old.zip",
        "notes/todo.md",
        "notes/keep.md",
        ".env",
        "templates/index.html",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / ".faasgiignore").write_text("notes/*\n!notes/keep.md\n")
    found = [path for path, _ in scan(tmp_path, Ignore.for_project(tmp_path)).files]
    assert sorted(found) == ["app.py", "notes/keep.md", "pkg/__init__.py", "templates/index.html"]


#: What issue 11 found packed; each is left out by default, and reported.
SECRETS = [
    ".env",
    ".env.local",
    ".env.production",
    ".envrc",
    "id_rsa",
    "deploy/id_ed25519",
    "server.pem",
    "server.key",
    ".aws/credentials",
    ".ssh/id_ed25519",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    "terraform.tfstate",
    "terraform.tfstate.backup",
    "secrets.json",
    "config/secrets.yaml",
]
#: Look alike, hold no secret: packed.
NOT_SECRETS = [".env.example", "id_rsa.pub", "keys.py", "identity.py", "ssh_tools.py", "envs.py"]


def make_files(root: Path, names: list[str], text: str = "x") -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_secrets_are_left_out_by_default_and_each_is_reported(tmp_path: Path) -> None:
    make_files(tmp_path, ["app.py", *SECRETS, *NOT_SECRETS])
    scanned = scan(tmp_path, Ignore.for_project(tmp_path))
    assert sorted(path for path, _ in scanned.files) == sorted(["app.py", *NOT_SECRETS])
    reported = {exclusion.path for exclusion in scanned.excluded}
    # A folder of credentials is reported once, as the folder.
    expected = {name for name in SECRETS if not name.startswith((".aws/", ".ssh/"))}
    assert reported == expected | {".aws/", ".ssh/"}
    assert {exclusion.reason for exclusion in scanned.excluded} == {"secret"}


def test_faasgiignore_brings_one_secret_back_on_purpose(tmp_path: Path) -> None:
    make_files(tmp_path, ["app.py", ".env.production", ".env.local", "certs/ca.pem"])
    (tmp_path / ".faasgiignore").write_text("!.env.production\n!certs/*.pem\n")
    scanned = scan(tmp_path, Ignore.for_project(tmp_path))
    assert sorted(path for path, _ in scanned.files) == [
        ".env.production",
        "app.py",
        "certs/ca.pem",
    ]
    assert [exclusion.path for exclusion in scanned.excluded] == [".env.local"]


def test_a_symlink_out_of_the_project_is_an_error_naming_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_files(outside, ["secret.txt"], "the neighbour's secret")
    project = write_project(tmp_path / "proj")
    for link, target in (("passwd", "/etc/passwd"), ("borrowed.txt", "../outside/secret.txt")):
        (project / link).symlink_to(target)
        with pytest.raises(PackageError, match=rf"^{link} is a symlink to {target}, outside"):
            scan(project, Ignore.for_project(project))
        (project / link).unlink()
    (project / "shared").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PackageError, match=r"^shared is a symlink to .*outside, outside the"):
        scan(project, Ignore.for_project(project))
    # Excluded on purpose: never followed, never an error.
    (project / ".faasgiignore").write_text("shared\n")
    assert [path for path, _ in scan(project, Ignore.for_project(project)).files] == ["app.py"]


def test_a_symlink_inside_the_project_is_packed_as_its_target_folders_included(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "proj")
    make_files(project, ["assets/v2/site.css", "assets/v2/img/logo.svg"])
    (project / "static").symlink_to("assets/v2", target_is_directory=True)
    (project / "settings.py").symlink_to("app.py")
    (project / "assets" / "v2" / "loop").symlink_to("..", target_is_directory=True)
    with pytest.raises(PackageError, match=r"^assets/v2/loop is a symlink to \.\., a folder that"):
        scan(project, Ignore.for_project(project))
    (project / "assets" / "v2" / "loop").unlink()
    scanned = scan(project, Ignore.for_project(project))
    files = dict(scanned.files)
    assert sorted(files) == [
        "app.py",
        "assets/v2/img/logo.svg",
        "assets/v2/site.css",
        "settings.py",
        "static/img/logo.svg",
        "static/site.css",
    ]
    assert files["settings.py"].read_bytes() == (project / "app.py").read_bytes()
    # A link to a secret is left out as one, whatever its own name.
    (project / ".env").write_text("DATABASE_PASSWORD=hunter2")
    (project / "settings.env").symlink_to(".env")
    scanned = scan(project, Ignore.for_project(project))
    assert "settings.env" not in dict(scanned.files)
    assert [(e.path, e.reason) for e in scanned.excluded] == [
        (".env", "secret"),
        ("settings.env", "secret"),
    ]


def test_an_earlier_builds_output_is_left_out_wherever_it_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, _, err = package(
        project, capsys, "--platform", "aws", "-o", str(project / "artifacts"), "--name", "fn"
    )
    assert status == 0, err
    (project / "old.zip").write_bytes(b"PK")
    status, out, err = package(project, capsys, "--platform", "aws", "--no-smoke")
    assert status == 0, err
    with zipfile.ZipFile(project / "dist" / "proj-aws.zip") as built:
        names = built.namelist()
    assert not [name for name in names if name.startswith("artifacts/") or name.endswith(".zip")]
    assert "  left out (build output, holds fn.manifest.json): artifacts/" in out
    assert "  left out (build output, *.zip): old.zip" in out


# -- what pip leaves behind ------------------------------------------------------------------


def test_installed_files_lose_what_names_the_building_machine(tmp_path: Path) -> None:
    info = tmp_path / "tinydep-1.0.dist-info"
    (tmp_path / "tinydep").mkdir()
    (tmp_path / "bin").mkdir()
    info.mkdir()
    (tmp_path / "tinydep" / "__init__.py").write_text("")
    (tmp_path / "bin" / "tiny").write_text("#!/home/me/venv/bin/python\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: TinyDep\nVersion: 1.0\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "direct_url.json").write_text('{"url": "file:///home/me/tinydep-1.0.whl"}')
    (info / "RECORD").write_text(
        "../../bin/tiny,sha256=x,27\n"
        "tinydep/__init__.py,sha256=y,0\n"
        "tinydep-1.0.dist-info/INSTALLER,sha256=z,4\n"
        "tinydep-1.0.dist-info/METADATA,sha256=w,50\n"
        "tinydep-1.0.dist-info/direct_url.json,sha256=v,44\n"
        "tinydep-1.0.dist-info/RECORD,,\n"
    )
    entries = {entry.path: entry for entry in installed_entries(tmp_path)}
    assert sorted(entries) == [
        "tinydep-1.0.dist-info/METADATA",
        "tinydep-1.0.dist-info/RECORD",
        "tinydep/__init__.py",
    ]
    assert entries["tinydep/__init__.py"].distribution is not None
    assert entries["tinydep/__init__.py"].distribution.name == "TinyDep"
    assert entries["tinydep-1.0.dist-info/RECORD"].read().decode().splitlines() == [
        "tinydep-1.0.dist-info/METADATA,sha256=w,50",
        "tinydep-1.0.dist-info/RECORD,,",
        "tinydep/__init__.py,sha256=y,0",
    ]


# -- the zip ---------------------------------------------------------------------------------


def test_zip_entries_carry_fixed_time_modes_and_order(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o700)
    plain = tmp_path / "b.py"
    plain.write_text("x = 1\n")
    plain.chmod(0o600)
    entries = [
        Entry("b.py", plain, None, False, None),
        Entry("a/run.sh", script, None, True, None),
        Entry("a/generated.txt", None, b"made here", False, None),
    ]
    built = archive.write(entries, tmp_path / "out.zip")
    with zipfile.ZipFile(built.path) as out:
        infos = out.infolist()
    assert [info.filename for info in infos] == ["a/generated.txt", "a/run.sh", "b.py"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [stat.S_IMODE(info.external_attr >> 16) for info in infos] == [0o644, 0o755, 0o644]
    assert {info.create_system for info in infos} == {3}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert {info.extra for info in infos} == {b""}


def test_source_date_epoch_sets_the_entries_time_clamped_to_what_zip_holds() -> None:
    assert archive.date_time("1700000000") == (2023, 11, 14, 22, 13, 20)
    assert archive.date_time("0") == (1980, 1, 1, 0, 0, 0)
    assert archive.date_time(None) == (1980, 1, 1, 0, 0, 0)
    with pytest.raises(PackageError, match="SOURCE_DATE_EPOCH"):
        archive.date_time("yesterday")


# -- limits ----------------------------------------------------------------------------------


def test_lambda_limits_fail_with_the_limit_its_source_and_a_way_out() -> None:
    found = limits.check(limits.limits_for("aws"), zipped=51 * limits.MB, unzipped=100)
    assert len(found) == 1
    message = found[0].message
    assert message.startswith(
        "package too large: 51.0 MB zipped, over AWS Lambda's limit of 50.0 MB"
    )
    assert limits.AWS_SOURCE in message
    assert "--max-zipped-mb" in message
    unzipped = limits.check(limits.limits_for("aws"), zipped=1, unzipped=251 * limits.MB)
    assert unzipped[0].limit.measure == "unzipped"


def test_function_compute_api_upload_limit_only_warns() -> None:
    found = limits.check(limits.limits_for("fc"), zipped=120 * limits.MB, unzipped=1)
    assert [violation.limit.blocking for violation in found] == [False]
    assert found[0].message.startswith("warning: 120.0 MB zipped")
    assert limits.check(limits.limits_for("fc"), zipped=501 * limits.MB, unzipped=1)[
        0
    ].limit.blocking


# -- the command, end to end -----------------------------------------------------------------


@pytest.mark.slow
def test_same_inputs_give_a_byte_identical_zip(
    tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path / "one" / "proj", imports="import tinydep", requirements="tinydep==1.0\n"
    )
    first = package(project, capsys, "--platform", "aws", wheelhouse=wheelhouse)
    assert first[0] == 0, first[2]
    # The same sources elsewhere, touched, built again: nothing of the machine gets in.
    copy = tmp_path / "two" / "proj"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist"))
    (copy / "app.py").touch()
    (copy / "app.py").chmod(0o664)
    second = package(copy, capsys, "--platform", "aws", wheelhouse=wheelhouse)
    assert second[0] == 0, second[2]

    sha, path = digest_line(first[1])
    manifests = [
        json.loads((folder / "dist" / "proj-aws.manifest.json").read_text())
        for folder in (project, copy)
    ]
    files = [{f["path"]: f["sha256"] for f in manifest["files"]} for manifest in manifests]
    assert files[0] == files[1]  # when this fails, pytest shows which file differs
    assert digest_line(second[1])[0] == sha
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
    assert (project / "dist" / "proj-aws.manifest.json").read_bytes() == (
        copy / "dist" / "proj-aws.manifest.json"
    ).read_bytes()


@pytest.mark.slow
def test_manifest_lists_every_file_with_its_size_sha256_and_distribution(
    tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj", imports="import tinydep", requirements="tinydep\n")
    status, out, err = package(project, capsys, "--platform", "fc", wheelhouse=wheelhouse)
    assert status == 0, err
    manifest = json.loads((project / "dist" / "proj-fc.manifest.json").read_text())
    zip_path = project / "dist" / "proj-fc.zip"
    with zipfile.ZipFile(zip_path) as built:
        actual = {name: built.read(name) for name in built.namelist()}
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert sorted(listed) == sorted(actual)
    for path, data in actual.items():
        assert listed[path]["size"] == len(data)
        assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest()
    assert listed["app.py"]["distribution"] is None
    assert listed["tinydep/data.txt"]["distribution"] == "tinydep"
    assert listed["faasgi/__init__.py"]["distribution"] == "faasgi"
    assert manifest["zip"]["sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert manifest["unzipped_size"] == sum(len(data) for data in actual.values())
    assert manifest["target"]["runtime"] == "python3.10"
    assert {d["name"] for d in manifest["distributions"]} == {"tinydep", "faasgi"}
    # The summary: sizes, and the distributions by size.
    assert "zipped" in out and "largest distributions" in out
    assert "tinydep 1.0" in out and "faasgi 0.1.0 (vendored)" in out


@pytest.mark.slow
def test_faasgiignore_and_builtin_exclusions_keep_files_out_of_the_zip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text("")
    (project / "local.sqlite").write_text("")
    (project / "static").mkdir()
    (project / "static" / "site.css").write_text("")
    (project / ".faasgiignore").write_text("*.sqlite\n")
    status, _, err = package(project, capsys, "--platform", "aws")
    assert status == 0, err
    with zipfile.ZipFile(project / "dist" / "proj-aws.zip") as built:
        names = built.namelist()
    assert "app.py" in names and "static/site.css" in names
    assert not [n for n in names if n.startswith(("tests/", "dist/")) or n.endswith(".sqlite")]
    assert ".faasgiignore" not in names


@pytest.mark.slow
def test_missing_dependency_fails_the_smoke_test_with_the_documented_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # requests is installed here, next to faasgi: the smoke test must not see it.
    project = write_project(tmp_path / "proj", imports="import requests")
    status, out, err = package(project, capsys, "--platform", "aws", "--python", LOCAL_PYTHON)
    assert status == 1
    assert "faasgi package: error: smoke test failed: importing app:handler from the package" in err
    assert "ModuleNotFoundError: No module named 'requests'" in err
    assert (
        "The package is missing a dependency: add the distribution that provides 'requests'" in err
    )
    assert "(the zip was written for inspection, not for upload: " in err
    assert not out.strip().endswith("proj-aws.zip")


@pytest.mark.slow
def test_oversize_package_fails_with_the_documented_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, _, err = package(project, capsys, "--platform", "aws", "--max-zipped-mb", "0.01")
    assert status == 1
    assert "faasgi package: error: package too large: " in err
    assert "zipped, over the limit of 0.01 MB set with --max-zipped-mb" in err
    assert "the zip was written for inspection" in err


@pytest.mark.slow
def test_smoke_test_sends_fc_its_event_as_bytes_and_reports_the_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, out, err = package(project, capsys, "--platform", "fc", "--python", LOCAL_PYTHON)
    assert status == 0, err
    assert "smoke test: GET / answered 200 in " in out
    assert "stood in" not in out  # the target is this machine's Python: a full run

    # Another Python can stand in for a package without compiled modules, and says so.
    status, out, err = package(project, capsys, "--platform", "fc", "--python", OTHER_PYTHON)
    assert status == 0, err
    assert "smoke test: GET / answered 200 in " in out
    assert (
        f"this machine's Python {LOCAL_PYTHON} stood in for python{OTHER_PYTHON} "
        "(the package has no compiled modules)"
    ) in out


@pytest.mark.slow
def test_a_5xx_answer_fails_the_smoke_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj", status="503 Service Unavailable")
    status, _, err = package(project, capsys, "--platform", "aws")
    assert status == 1
    assert "smoke test failed: GET / answered 503: 'hello from the package'" in err


@pytest.mark.slow
def test_cross_target_binaries_fall_back_to_checking_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A compiled module for another Python: this interpreter cannot load it.
    project = write_project(tmp_path / "proj", imports="import fastext")
    tag = "cpython-" + OTHER_PYTHON.replace(".", "") + "-x86_64-linux-gnu"
    (project / f"fastext.{tag}.so").write_bytes(b"\x7fELF not really")
    status, out, err = package(project, capsys, "--platform", "aws", "--python", OTHER_PYTHON)
    assert status == 0, err
    assert "smoke test: the handler could not be run here: it needs fastext" in out
    assert "the 2 top-level imports of app resolve in the package" in out
    assert "Run faasgi package on a machine like the target" in out

    # ... but a dependency that is nowhere in the package still fails the build.
    (project / "app.py").write_text(
        APP.format(imports="import missingdep\nimport fastext", status="200 OK")
    )
    status, _, err = package(project, capsys, "--platform", "aws", "--python", OTHER_PYTHON)
    assert status == 1
    assert "No module named 'missingdep'" in err


#: An app like any Flask app built for another Python: a compiled speedup it cannot load
#: here (MarkupSafe's `_speedups`), with a pure-Python fallback, then the user's own code.
CROSS_APP = """\
import os
try:
    from fastext import speedup
except ImportError:
    speedup = None
from faasgi import serverless
{user_code}

def app(environ, start_response):
    start_response("{status}", [("Content-Type", "text/plain")])
    return [b"hello"]

handler = serverless(app)
"""


def cross_project(root: Path, user_code: str = "", status: str = "200 OK") -> Path:
    """A project whose package holds a compiled module for OTHER_PYTHON only."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(CROSS_APP.format(user_code=user_code, status=status))
    tag = "cpython-" + OTHER_PYTHON.replace(".", "") + "-x86_64-linux-gnu"
    (root / f"fastext.{tag}.so").write_bytes(b"\x7fELF not really")
    return root


def cross_package(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return package(root, capsys, "--platform", "aws", "--python", OTHER_PYTHON, *args)


@pytest.mark.slow
def test_the_users_code_failing_at_import_fails_the_build_when_another_python_stands_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = cross_project(
        tmp_path / "proj", user_code='DATABASE_URL = os.environ["DATABASE_URL"]'
    )
    # This machine's environment is not the function's: the smoke test never sees it.
    monkeypatch.setenv("DATABASE_URL", "postgres://on-this-laptop-only")
    status, out, err = cross_package(project, capsys)
    assert status == 1
    first = err.splitlines()[0]
    assert first.startswith(
        "faasgi package: error: smoke test failed: importing app:handler from the package "
        "raised KeyError: 'DATABASE_URL'. The smoke test runs with only the environment you "
        "give it: if the function reads a variable, pass it with -e NAME=VALUE or --env-file"
    )
    assert "(the zip was written for inspection, not for upload: " in err
    assert not out.strip().endswith("proj-aws.zip")

    status, out, err = cross_package(project, capsys, "-e", "DATABASE_URL=postgres://db")
    assert status == 0, err
    assert "smoke test: GET / answered 200 in " in out
    assert f"stood in for python{OTHER_PYTHON} (its compiled modules aside)" in out


@pytest.mark.slow
def test_a_5xx_from_the_users_code_fails_the_build_when_another_python_stands_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = cross_project(tmp_path / "proj", status="500 Internal Server Error")
    status, _, err = cross_package(project, capsys)
    assert status == 1
    assert "smoke test failed: GET / answered 500: 'hello'" in err.splitlines()[0]


@pytest.mark.slow
def test_a_handler_that_needs_a_foreign_compiled_module_is_only_import_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = cross_project(tmp_path / "proj", user_code="import fastext")
    status, out, err = cross_package(project, capsys)
    assert status == 0, err
    assert (
        "smoke test: the handler could not be run here: it needs fastext, compiled for "
        f"python{OTHER_PYTHON} on linux/x86_64"
    ) in out
    assert "Checked its imports instead: the 3 top-level imports of app resolve" in out


@pytest.mark.slow
def test_a_5xx_logged_with_a_foreign_import_error_is_not_the_users_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A compiled module imported per request: faasgi logs the ImportError and answers
    500; that names the foreign module, so the run is not a verdict."""
    project = cross_project(tmp_path / "proj")
    (project / "app.py").write_text(
        "from faasgi import serverless\n\n"
        "def app(environ, start_response):\n"
        "    import fastext  # needs the target's Python\n"
        "    start_response('200 OK', [])\n"
        "    return [b'hello']\n\n"
        "handler = serverless(app)\n"
    )
    status, out, err = cross_package(project, capsys)
    assert status == 0, err
    assert "smoke test: the handler could not be run here: it needs fastext" in out


def test_the_smoke_environment_comes_from_env_files_then_e(tmp_path: Path) -> None:
    env_file = tmp_path / "smoke.env"
    env_file.write_text(
        "# the staging database\n"
        "DATABASE_URL=postgres://staging\n"
        "export REGION='eu-west-1'\n"
        'GREETING="hello, world"\n'
        "EMPTY=\n"
        "\n"
        "MODE=file\n"
    )
    assert smoke_environment([str(env_file)], ["MODE=flag", "URL=a=b"]) == {
        "DATABASE_URL": "postgres://staging",
        "REGION": "eu-west-1",
        "GREETING": "hello, world",
        "EMPTY": "",
        "MODE": "flag",
        "URL": "a=b",
    }


@pytest.mark.parametrize(
    ("files", "pairs", "message"),
    [
        ([], ["NOVALUE"], "-e: an environment variable is NAME=VALUE, got 'NOVALUE'"),
        ([], ["1BAD=x"], "-e: an environment variable is NAME=VALUE, got '1BAD=x'"),
        (["missing.env"], [], "cannot read missing.env"),
    ],
)
def test_environment_mistakes_exit_2(
    files: list[str],
    pairs: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    project = write_project(tmp_path / "proj")
    args = [arg for file in files for arg in ("--env-file", file)]
    args += [arg for pair in pairs for arg in ("-e", pair)]
    status, _, err = package(project, capsys, "--platform", "aws", *args)
    assert status == 2
    assert message in err


@pytest.mark.slow
def test_the_env_file_reaches_the_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj", imports='import os\nos.environ["DATABASE_URL"]')
    (tmp_path / "smoke.env").write_text("DATABASE_URL=postgres://staging\n")
    status, out, err = package(
        project, capsys, "--platform", "aws", "--env-file", str(tmp_path / "smoke.env")
    )
    assert status == 0, err
    assert "smoke test: GET / answered 200" in out


@pytest.mark.slow
def test_the_handler_setting_the_platforms_need_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, out, err = package(project, capsys, "--platform", "aws", "--no-smoke")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert (
        lines[-2] == "  handler: app.handler  (Handler in SAM and Lambda, handler in s.yaml and FC)"
    )
    status, out, err = (
        cli(
            [
                "package",
                "app:handler.inner",
                "--project",
                str(project),
                "--platform",
                "fc",
                "--no-smoke",
            ]
        ),
        *capsys.readouterr(),
    )
    assert status == 0, err
    assert "handler: Lambda and FC cannot reach app:handler.inner" in out


@pytest.mark.slow
def test_handler_module_outside_the_package_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, _, err = package(project, capsys, "--platform", "aws", "--no-smoke")
    assert status == 0, err
    argv = ["package", "tests.app:handler", "--project", str(project), "--platform", "aws"]
    assert cli(argv) == 1
    assert "no tests/app.py or tests/app/__init__.py" in capsys.readouterr().err


@pytest.mark.slow
def test_compile_adds_reproducible_unchecked_hash_bytecode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    digests = []
    for _ in range(2):
        status, out, err = package(
            project, capsys, "--platform", "aws", "--python", LOCAL_PYTHON, "--compile"
        )
        assert status == 0, err
        assert "modules precompiled (unchecked-hash)" in out
        digests.append(digest_line(out)[0])
    assert digests[0] == digests[1]
    with zipfile.ZipFile(project / "dist" / "proj-aws.zip") as built:
        pyc = built.read(f"__pycache__/app.{sys.implementation.cache_tag}.pyc")
    # PEP 552 flags: bit 0 set (hash-based), bit 1 clear (never checked against the source).
    assert int.from_bytes(pyc[4:8], "little") == 0b01


def test_compile_needs_the_targets_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    status, _, err = package(
        project, capsys, "--platform", "aws", "--python", OTHER_PYTHON, "--compile"
    )
    assert status == 2
    assert f"--compile writes bytecode for this Python ({LOCAL_PYTHON})" in err


def test_usage_mistakes_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["package", "app.handler", "--platform", "aws", "--project", str(tmp_path)]) == 2
    assert "expected MODULE:HANDLER" in capsys.readouterr().err
    assert cli(["package", "a:b", "--platform", "fc", "--arch", "arm64"]) == 2
    assert "x86_64 only" in capsys.readouterr().err


def test_allow_source_needs_a_machine_like_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj", requirements="tinydep\n")
    status, _, err = package(
        project, capsys, "--platform", "aws", "--python", OTHER_PYTHON, "--allow-source"
    )
    assert status == 1
    assert "--allow-source builds with this interpreter" in err


# -- deploy kits (adapters/) -----------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
SAM_TEMPLATE = REPO / "adapters" / "aws-lambda" / "template.yaml"
FC_TEMPLATES = (
    REPO / "adapters" / "alibaba-fc" / "s.yaml",
    REPO / "adapters" / "alibaba-fc" / "s.custom-runtime.yaml",
)
#: Mirrors the todo list's layout: examples/todolist/flask_app.py with `handler`.
KIT_FIXTURE = REPO / "tests" / "fixtures" / "deploy"
TODOLIST_HANDLER = "examples.todolist.flask_app.handler"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub) read as plain values."""


_CloudFormationLoader.add_multi_constructor(
    "!",
    lambda loader, tag, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


def load_yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CloudFormationLoader)
    return loaded


def fc_function(path: Path) -> dict[str, Any]:
    props: dict[str, Any] = load_yaml(path)["resources"]["todolist"]["props"]
    return props


def sam_function() -> dict[str, Any]:
    resource = load_yaml(SAM_TEMPLATE)["Resources"]["TodoFunction"]
    assert resource["Type"] == "AWS::Serverless::Function"
    properties: dict[str, Any] = resource["Properties"]
    return properties


@pytest.mark.slow
def test_sam_template_passes_cfn_lint() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    assert cfn_lint.exists(), "cfn-lint comes with the dev extra: pip install -e '.[dev]'"
    finished = subprocess.run(
        [str(cfn_lint), str(SAM_TEMPLATE)], capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_templates_name_the_todolist_handler() -> None:
    assert sam_function()["Handler"] == TODOLIST_HANDLER
    builtin, custom = (fc_function(path) for path in FC_TEMPLATES)
    assert builtin["handler"] == TODOLIST_HANDLER
    hooks = builtin["instanceLifecycleConfig"]
    assert hooks["initializer"]["handler"] == "examples.todolist.flask_app.initializer"
    assert hooks["preStop"]["handler"] == "examples.todolist.flask_app.pre_stop"
    module, _, attribute = TODOLIST_HANDLER.rpartition(".")
    assert custom["customRuntimeConfig"]["args"] == [
        "-m",
        "faasgi.custom_runtime",
        f"{module}:{attribute}",
    ]


#: The layout of faasgi.state's tables (docs/state.md): what DynamoDBStore reads and writes.
STATE_KEY_SCHEMA = {("pk", "HASH"), ("sk", "RANGE")}
STATE_ATTRIBUTES = {("pk", "S"), ("sk", "S")}
STATE_TTL = {"AttributeName": "expires_at", "Enabled": True}


def test_sam_template_wires_the_tables_the_todolist_expects() -> None:
    template = load_yaml(SAM_TEMPLATE)
    resources = template["Resources"]
    for name in ("TodoTable", "SessionTable"):
        table = resources[name]["Properties"]
        assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == STATE_KEY_SCHEMA
        assert {
            (a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]
        } == STATE_ATTRIBUTES
        assert table["TimeToLiveSpecification"] == STATE_TTL
        assert table["BillingMode"] == "PAY_PER_REQUEST"
    function = sam_function()
    variables = function["Environment"]["Variables"]
    assert variables["TODO_TABLE"] == "TodoTable"
    assert variables["SESSION_TABLE"] == "SessionTable"
    # The session secret: generated by Secrets Manager, resolved when the stack deploys.
    assert variables["FAASGI_SESSION_SECRET"] == (
        "{{resolve:secretsmanager:${SessionSecret}:SecretString}}"
    )
    assert resources["SessionSecret"]["Type"] == "AWS::SecretsManager::Secret"
    assert set(variables) == {
        "TODO_TABLE",
        "SESSION_TABLE",
        "FAASGI_SESSION_SECRET",
        "AWS_LAMBDA_EXEC_WRAPPER",  # faasgi's runtime, streaming: tests/runtime/test_kit.py
        "FAASGI_INVOKE_MODE",
    }
    events = {event["Properties"]["Path"]: event["Type"] for event in function["Events"].values()}
    assert events == {"/": "HttpApi", "/{proxy+}": "HttpApi"}


def test_sam_template_grants_only_the_item_operations_of_faasgi_state() -> None:
    """docs/state.md: every write of the store is an UpdateItem (transactions too), so the
    todo list needs GetItem, Query, UpdateItem and DeleteItem; sessions alone need GetItem,
    UpdateItem and DeleteItem. (tests/todolist/test_iam.py checks these against the calls
    the app really makes.)"""
    statements = {
        statement["Resource"]: statement for statement in sam_function()["Policies"][0]["Statement"]
    }
    assert set(statements) == {"TodoTable.Arn", "SessionTable.Arn"}
    assert all(statement["Effect"] == "Allow" for statement in statements.values())
    assert set(statements["TodoTable.Arn"]["Action"]) == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert set(statements["SessionTable.Arn"]["Action"]) == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }


def test_fc_descriptors_pass_the_session_secret() -> None:
    for path in FC_TEMPLATES:
        variables = fc_function(path)["environmentVariables"]
        assert variables["FAASGI_SESSION_SECRET"] == "${env('FAASGI_SESSION_SECRET')}"
        assert {"TODO_TABLE", "SESSION_TABLE", "AWS_DEFAULT_REGION"} <= set(variables)


def test_templates_deploy_the_zip_faasgi_package_writes() -> None:
    """CodeUri / code point at the README's `faasgi package ... --name` output."""
    assert (
        SAM_TEMPLATE.parent / sam_function()["CodeUri"]
    ).resolve() == REPO / "dist" / "todolist-aws.zip"
    for path in FC_TEMPLATES:
        props = fc_function(path)
        assert (path.parent / props["code"]).resolve() == REPO / "dist" / "todolist-fc.zip"
        command = load_yaml(path)["resources"]["todolist"]["actions"]["pre-deploy"][0]["run"]
        assert "--platform fc --python 3.10" in command and "--name todolist-fc" in command


_RESOLVE = """
import importlib, json, pathlib, sys
root, references = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, root)
found = []
for platform, name in references:
    if platform == "custom":
        module_name, attribute = name.split(":")
    else:
        # Lambda's and FC's Python runtimes split the handler string at the last dot.
        module_name, attribute = name.rsplit(".", 1)
    if platform == "fc":
        # FC finds the module with imp.find_module, segment by segment: packages need
        # __init__.py.
        for depth in range(1, module_name.count(".") + 1):
            package = pathlib.Path(root, *module_name.split(".")[:depth])
            assert (package / "__init__.py").is_file(), f"{package} has no __init__.py"
    module = importlib.import_module(module_name)
    target = getattr(module, attribute)
    assert callable(target), name
    owner = getattr(target, "__self__", None)
    same = owner is getattr(module, "handler", None)
    found.append({"name": name, "bound_to": type(owner).__name__, "same_handler": same})
print(json.dumps(found))
"""


def template_references() -> list[tuple[str, str]]:
    """(platform, handler reference) for every handler the deploy kits name."""
    builtin, custom = (fc_function(path) for path in FC_TEMPLATES)
    hooks = builtin["instanceLifecycleConfig"]
    return [
        ("aws", sam_function()["Handler"]),
        ("fc", builtin["handler"]),
        ("fc", hooks["initializer"]["handler"]),
        ("fc", hooks["preStop"]["handler"]),
        ("custom", custom["customRuntimeConfig"]["args"][-1]),
    ]


def resolve_references(root: Path, environment: dict[str, str] | None = None) -> list[Any]:
    """Resolve every template reference in a fresh interpreter, as the platform would."""
    finished = subprocess.run(
        [sys.executable, "-c", _RESOLVE, str(root), json.dumps(template_references())],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert finished.returncode == 0, finished.stderr
    found: list[Any] = json.loads(finished.stdout)
    for reference in found:
        if reference["name"].endswith(("initializer", "pre_stop")):
            assert (reference["bound_to"], reference["same_handler"]) == ("Handler", True)
    return found


@pytest.mark.slow
def test_template_handlers_import_the_way_each_platform_resolves_them() -> None:
    """Against the fixture with the todo list's shape, packaged offline below."""
    assert len(resolve_references(KIT_FIXTURE)) == 5


def deployed_environment(**extra: str) -> dict[str, str]:
    """This environment without AWS, faasgi or todo list settings: what a function that was
    given none of its configuration would see."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "FAASGI_", "TODO_", "SESSION_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join(sys.path)
    environment["AWS_EC2_METADATA_DISABLED"] = "true"
    environment.update(extra)
    return environment


@pytest.mark.slow
def test_the_todolist_the_templates_name_imports_the_way_each_platform_resolves_it() -> None:
    """The real examples/todolist module, as Lambda, FC and FC's custom runtime find it."""
    environment = deployed_environment(FAASGI_SESSION_SECRET="deployed secret, 32 bytes or so")
    assert len(resolve_references(REPO, environment)) == 5


_FIRST_REQUESTS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from faasgi.testing import FaasClient
from examples.todolist.flask_app import handler
client = FaasClient(handler, "aws-http")
page, user = client.get("/"), client.get("/api/currentUser")
print(json.dumps([page.status_code, user.status_code, user.json()]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("secret", ["set", "missing"])
def test_the_todolist_module_answers_without_reaching_aws(secret: str) -> None:
    """What `faasgi package`'s smoke test sees: the module builds and serves its page with
    no AWS access; without a session secret its API says what is missing (503)."""
    extra = {"FAASGI_SESSION_SECRET": "deployed secret, 32 bytes or so"} if secret == "set" else {}
    finished = subprocess.run(
        [sys.executable, "-c", _FIRST_REQUESTS, str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        env=deployed_environment(**extra),
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    page, user, body = json.loads(finished.stdout)
    assert page == 200
    if secret == "set":
        assert (user, body["success"]) == (401, False)  # anonymous: log in first
    else:
        assert (user, body["success"]) == (503, False)
        assert "FAASGI_SESSION_SECRET" in body["message"]


@pytest.mark.slow
def test_custom_runtime_kit_serves_the_built_zip_with_every_cookie(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Build the fixture as the kits do, unpack it as FC does to /code, start the server the
    way s.custom-runtime.yaml does, with nothing but the package and the stdlib to import."""
    argv = [
        "package",
        "examples.todolist.flask_app:handler",
        "--project",
        str(KIT_FIXTURE),
        "--platform",
        "fc",
        "--python",
        LOCAL_PYTHON,
        "--name",
        "todolist-fc",
        "-o",
        str(tmp_path / "dist"),
    ]
    assert cli(argv) == 0, capsys.readouterr().err
    code = tmp_path / "code"
    with zipfile.ZipFile(tmp_path / "dist" / "todolist-fc.zip") as built:
        built.extractall(code)
    args = fc_function(FC_TEMPLATES[1])["customRuntimeConfig"]["args"]
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-S", *args, "--host", "127.0.0.1"],
        cwd=code,
        env={"PYTHONPATH": str(code), "FC_CUSTOM_LISTEN_PORT": str(port), "TODO_TABLE": "t1"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert "serving examples.todolist.flask_app:handler" in process.stderr.readline()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # As FC sends its hooks: with its common headers, the request id among them.
        hook = {"x-fc-control-path": "/initialize", "x-fc-request-id": "init-1"}
        connection.request("POST", "/initialize", headers=hook)
        assert connection.getresponse().read() == b"OK"
        connection.request("GET", "/todos", headers={"x-fc-control-path": "/http-invoke"})
        response = connection.getresponse()
        assert json.loads(response.read()) == {
            "path": "/todos",
            "tables": {"TODO_TABLE": "t1", "SESSION_TABLE": None},
        }
        assert response.msg.get_all("Set-Cookie") == [
            "session=s1; Path=/; HttpOnly",
            "csrf=c1; Path=/",
        ]
        connection.close()
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_repository_root_packages_the_example_not_the_library() -> None:
    ignore = Ignore.for_project(REPO)
    assert ignore.excluded("src", is_dir=True)
    assert ignore.excluded("docs", is_dir=True)
    assert ignore.excluded("adapters", is_dir=True)
    assert ignore.excluded("tests", is_dir=True)
    assert not ignore.excluded("examples", is_dir=True)
    assert not ignore.excluded("examples/todolist/flask_app.py", is_dir=False)


def documented_package_commands() -> list[tuple[str, str]]:
    """(file, command) for every `faasgi package` command the docs and kits show."""
    found = []
    readmes = (*REPO.glob("adapters/*/README.md"), REPO / "examples" / "streaming" / "README.md")
    for path in (REPO / "docs" / "deploy.md", *readmes):
        in_shell = False
        pending = ""
        for line in path.read_text().splitlines():
            if line.startswith("```"):
                in_shell = line.strip() in ("```sh", "```text")
                continue
            if not in_shell:
                continue
            line = pending + line.strip()
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            command = line.removeprefix("$ ")
            if command.startswith("faasgi package ") and "MODULE:HANDLER" not in command:
                found.append((path.name, command.split("#")[0]))
    for path in FC_TEMPLATES:
        run = load_yaml(path)["resources"]["todolist"]["actions"]["pre-deploy"][0]["run"]
        found.append((path.name, run))
    return found


def test_documented_package_commands_are_valid() -> None:
    parser = argparse.ArgumentParser(prog="faasgi package", exit_on_error=False)
    configure(parser)
    commands = documented_package_commands()
    assert len(commands) >= 5
    for where, command in commands:
        try:
            args = parser.parse_args(shlex.split(command)[2:])
        except (argparse.ArgumentError, SystemExit) as error:
            pytest.fail(f"{where}: {command!r} does not parse: {error}")
        assert ":" in args.handler, (where, command)
