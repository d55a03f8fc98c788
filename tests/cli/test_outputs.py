"""Outputs: never onto an input, never over a device, refused before any work; and the last
guard: an unexpected exception is an "internal error" message with its own exit status."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from trialspec import __version__, cli
from trialspec.cli import EXIT_INTERNAL, main
from trialspec.report import output
from trialspec.report.output import OutputRefused, check_outputs, write_atomic

BASE = Path(__file__).parent / "corpus" / "base"
# every command that takes --output, with the inputs it reads
COMMANDS = {
    "lint": ["lint", "p.yaml", "--format", "json"],
    "check": ["check", "p.yaml", "--data", "data", "--format", "json"],
    "explain": ["explain", "p.yaml", "--data", "data", "--subject", "S01"],
    "verify": ["verify", "p.yaml", "--data", "data", "--format", "json"],
    "diff": ["diff", "p.yaml", "q.yaml", "--format", "json"],
}


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(BASE, folder)
    shutil.copy(folder / "p.yaml", folder / "q.yaml")
    monkeypatch.chdir(folder)
    assert main(["lock", "p.yaml", "--data", "data"]) == 0
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_writes_onto_any_of_its_inputs(command: str, study: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    argv = COMMANDS[command]
    inputs = ["p.yaml", "data/subjects.csv", "data/ex.csv"]
    inputs += {"verify": ["p.yaml.lock.json"], "diff": ["q.yaml"]}.get(command, [])
    if command in ("lint", "diff"):
        inputs = [i for i in inputs if not i.startswith("data/")]
    before = _snapshot(study)
    for target in inputs:
        os.link(study / target, study / "hard-link")
        (study / "sym-link").symlink_to(study / target)
        for name in (target, "hard-link", "sym-link", str(study / target)):
            capfd.readouterr()
            assert main([*argv, "--output", name]) == 2, (command, name)
            assert "error[TS901]" in capfd.readouterr().err
        (study / "hard-link").unlink()
        (study / "sym-link").unlink()
    assert _snapshot(study) == before


def test_check_json_onto_an_input_is_refused_before_any_work(study: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capfd: pytest.CaptureFixture[str]) -> None:
    import trialspec.pipeline

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check ran")

    monkeypatch.setattr(trialspec.pipeline, "check", never)
    before = _snapshot(study)
    for target in ("p.yaml", "data/subjects.csv", "p.yaml.lock.json"):
        assert main(["check", "p.yaml", "--data", "data", "--json", target]) == 2
        assert "TS901" in capfd.readouterr().err
    for bad in ("p.yaml/report.json", "data"):
        assert main(["check", "p.yaml", "--data", "data", "--output", bad]) == 2
        assert "TS902" in capfd.readouterr().err
    assert main(["check", "p.yaml", "--data", "data", "--output", "r.json", "--json", "./r.json"]) == 2
    assert "TS903" in capfd.readouterr().err
    assert _snapshot(study) == before


def test_an_unwritable_folder_is_refused_up_front(study: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    locked = study / "locked"
    locked.mkdir()
    real_access = os.access
    # the suite may run as root, for whom every folder is writable: the check is os.access
    monkeypatch.setattr(output.os, "access",
                        lambda p, mode: False if Path(p).resolve() == locked else real_access(p, mode))
    assert main(["lint", "p.yaml", "--output", "locked/new/report.txt"]) == 2
    assert "error[TS902]" in capfd.readouterr().err and not (locked / "new").exists()


def test_a_failed_write_is_coded_and_leaves_no_temporary_file(study: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capfd: pytest.CaptureFixture[str]) -> None:
    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    (study / "old.json").write_text("old", "utf-8")
    assert main(["lint", "p.yaml", "--format", "json", "--output", "old.json"]) == 2
    err = capfd.readouterr().err
    assert "error[TS904]" in err and "No space left on device" in err
    assert (study / "old.json").read_text("utf-8") == "old"
    assert not [p for p in study.iterdir() if p.name.startswith(".old.json.")]


def test_a_missing_output_folder_is_made(study: Path) -> None:
    assert main(["lint", "p.yaml", "--format", "json", "--output", "reports/new/lint.json"]) == 0
    assert '"diagnostics"' in (study / "reports" / "new" / "lint.json").read_text("utf-8")


def test_a_device_is_written_to_not_replaced(study: Path) -> None:
    null = Path(os.devnull)
    before = null.stat()
    assert main(["lint", "p.yaml", "--output", os.devnull]) == 0
    assert main(["check", "p.yaml", "--data", "data", "--output", os.devnull, "--json", os.devnull]) == 0
    after = null.stat()
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_fifo_is_written_to_not_replaced(study: Path) -> None:
    fifo = study / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["lint", "p.yaml", "--format", "json", "--output", str(fifo)]) == 0
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and b'"diagnostics"' in got[0]


def test_dash_is_standard_output(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "p.yaml", "--format", "json", "--output", "-"]) == 0
    assert '"diagnostics"' in capsys.readouterr().out and not (study / "-").exists()


def test_a_symlinked_output_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old", "utf-8")
    (tmp_path / "link.txt").symlink_to(target)
    write_atomic(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and target.read_text("utf-8") == "new"


def test_check_outputs_compares_inodes_and_resolved_paths(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n", "utf-8")
    os.link(data / "a.csv", tmp_path / "elsewhere.csv")
    with pytest.raises(OutputRefused) as err:
        check_outputs([tmp_path / "elsewhere.csv"], folders=[data])
    assert err.value.code == "TS901"
    with pytest.raises(OutputRefused):
        check_outputs([tmp_path / "data" / ".." / "data" / "a.csv"], folders=[data])
    check_outputs([tmp_path / "new.json", "-", None], [], [data])  # a new file, stdout: fine


# -- the last guard ---------------------------------------------------------------------------


def test_an_unexpected_exception_is_an_internal_error(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from trialspec.commands import lint

    def boom(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(lint, "run", boom)
    assert main(["lint", "p.yaml"]) == EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert err.startswith("trialspec: internal error[TS910]: ZeroDivisionError: division by zero")
    assert f"trialspec {__version__}" in err and "command: trialspec lint p.yaml" in err
    assert cli.REPORT_TO in err and "--debug" in err and "Traceback" not in err
    assert main(["lint", "p.yaml", "--debug"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "internal error[TS910]" in err


def test_internal_error_from_a_real_process() -> None:
    """The installed entry point: the guard holds outside pytest too (a bug provoked through
    a command module made to fail)."""
    code = ("import sys, trialspec.commands.lint as l\n"
            "l.run = lambda a: 1 // 0\n"
            "from trialspec.cli import main\n"
            "sys.exit(main(['lint', 'x.yaml']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 70 and "internal error[TS910]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_closed_stdout_is_no_traceback(tmp_path: Path) -> None:
    protocol = BASE / "p.yaml"
    proc = subprocess.run([sys.executable, "-m", "trialspec.cli", "lint", str(protocol)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_a_protocol_past_the_size_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from trialspec.protocol import yamlload

    monkeypatch.setattr(yamlload, "MAX_PROTOCOL_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("trialspec: 1\n" + "# padding\n" * 20, "utf-8")
    assert main(["lint", str(big)]) == 1
    assert "TS215" in capsys.readouterr().out
