"""`trialspec plot`: one figure to a file, its format from the suffix, its caption with the
hashes under it; never over an input; usage errors (exit 2) name what there is instead."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
SEED_DATA = ROOT / "examples" / "seed" / "data"
T2DM = ROOT / "protocols" / "t2dm-glucoflozin.yaml"
T2DM_DATA = ROOT / "examples" / "t2dm-glucoflozin" / "data"
MAGIC = {".svg": b"<?xml", ".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


@pytest.mark.parametrize("suffix", sorted(MAGIC))
def test_each_format_by_suffix(suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"km{suffix}"
    assert main(["plot", str(T2DM), "--data", str(T2DM_DATA), "--figure", "km", "--output", str(out)]) == 0
    assert out.read_bytes().startswith(MAGIC[suffix])
    assert f"wrote {out}: T3: time_to_rescue by arm (Kaplan-Meier)" in capsys.readouterr().err


def test_the_svg_carries_its_caption_and_hashes(tmp_path: Path) -> None:
    out = tmp_path / "swimmer.svg"
    assert main(["plot", str(SEED), "--data", str(SEED_DATA), "--figure", "swimmer",
                 "--output", str(out)]) == 0
    text = out.read_text("utf-8")
    sha = hashlib.sha256(SEED.read_bytes()).hexdigest()[:12]
    assert f"protocol sha256 {sha}" in text
    assert "Treatment and response per subject (n = 21)" in text
    assert "http" not in text.replace('"http://www.w3.org/', "")  # nothing to fetch


def test_analysis_picks_one_of_several(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pfs.svg"
    assert main(["plot", str(SEED), "--data", str(SEED_DATA), "--figure", "forest", "--analysis", "T2.pfs",
                 "--output", str(out)]) == 0
    assert "T2.pfs: HR (meta-analysis)" in out.read_text("utf-8")
    assert main(["plot", str(SEED), "--data", str(SEED_DATA), "--figure", "forest", "--analysis", "T9",
                 "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no forest figure for 'T9'; there are: forest-T2.orr" in err


@pytest.mark.parametrize("args, message", [
    (["--figure", "km", "--output", "x.svg"], "no km figure for this study: no Kaplan-Meier analysis ran"),
    (["--figure", "consort", "--output", "x.txt"], "--output must end in .svg, .png, .pdf"),
])
def test_usage_errors(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(SEED), "--data", str(SEED_DATA), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists() and not (tmp_path / "x.txt").exists()


def test_never_onto_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    protocol = tmp_path / "seed.svg"  # a protocol whose name ends like a figure
    shutil.copy(SEED, protocol)
    before = protocol.read_bytes()
    assert main(["plot", str(protocol), "--data", str(data), "--figure", "consort",
                 "--output", str(protocol)]) == 2
    assert "is the protocol itself" in capsys.readouterr().err
    assert protocol.read_bytes() == before
    assert main(["plot", str(protocol), "--data", str(data), "--figure", "consort",
                 "--output", str(data / "flow.svg")]) == 2
    assert "inside the data folder" in capsys.readouterr().err
    assert not (data / "flow.svg").exists()


def test_never_onto_a_hard_link_to_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hard link to the protocol, outside the data folder, is refused before the check runs."""
    protocol = tmp_path / "seed.yaml"
    shutil.copy(SEED, protocol)
    link = tmp_path / "figure.svg"
    link.hardlink_to(protocol)
    before = protocol.read_bytes()
    assert main(["plot", str(protocol), "--data", str(SEED_DATA), "--figure", "consort",
                 "--output", str(link)]) == 2
    assert "TS901" in capsys.readouterr().err
    assert protocol.read_bytes() == before
