"""The HTML report opened as a person would: in a real headless Chromium (Debian's package,
which .ci/run installs), offline. The page renders (the screenshot is not blank and shows the
figures' colours), every figure is in the DOM Chromium built, and nothing was logged to the
console (no failed load, no error)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from trialspec.figures._render import OKABE_ITO

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: .ci/run installs it (apt-get install -y chromium); "
                    "install it the same way to run these tests")
    return found


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=180, check=True)


def console_messages(stderr: str) -> list[str]:
    """Lines Chromium logs for the page's console (errors, failed loads, blocked requests)."""
    return [line for line in stderr.splitlines()
            if re.search(r":CONSOLE[(:]|Failed to load resource|net::ERR", line)]


def test_console_messages_are_caught(tmp_path: Path) -> None:
    """The check above can fail: a page that logs to its console is caught."""
    page = tmp_path / "noisy.html"
    page.write_text('<!DOCTYPE html><html lang="en"><body>'
                    '<script>console.error("boom")</script></body></html>')
    done = run_chromium(page, tmp_path / "profile-noisy", "--dump-dom")
    assert any('"boom"' in line for line in console_messages(done.stderr))


def test_the_report_renders_in_chromium(example: str, html_reports: dict[str, Path],
                                        tmp_path: Path) -> None:
    from PIL import Image

    page = html_reports[example]
    shot = tmp_path / f"{example}.png"
    done = run_chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400")
    assert console_messages(done.stderr) == []
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels.std() > 20  # not a blank page
    # the first figure (the CONSORT flow) and the summary are on screen: some text is dark,
    # and a figure's colour shows once the SVGs are drawn (the Okabe-Ito blue, or the KM
    # curves' orange in the diabetes report's first screen)
    assert (pixels.sum(axis=2) < 200).mean() > 0.002
    colours = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], float) for c in OKABE_ITO[:2]]
    near = [(np.abs(pixels - c).sum(axis=2) < 40).sum() for c in colours]
    assert max(near) > 50, near


def test_every_figure_is_in_chromiums_dom(example: str, html_reports: dict[str, Path],
                                          tmp_path: Path) -> None:
    page = html_reports[example]
    done = run_chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert console_messages(done.stderr) == []
    dom = done.stdout
    wanted = re.findall(r'<figure id="(figure-[^"]+)"', page.read_text("utf-8"))
    assert wanted
    for figure_id in wanted:
        start = dom.index(f'id="{figure_id}"')
        end = dom.index("</figure>", start)
        block = dom[start:end]
        assert "<svg" in block and "<figcaption>" in block, figure_id
        assert "sha256" in block
