"""The web app: its limits as plain functions, and the whole thing in a real browser.

The browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright; they skip,
saying why, only where no Chromium is installed (`make test` installs it when run as root)."""

import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whispersynth import app as web
from whispersynth import audio, model as M, settings, synth
from whispersynth.tokens import Vocab

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLUCK = settings.load(web.EXAMPLES / "pluck.txt")


def test_uploads_over_the_limits_are_refused_with_a_message(tmp_path):
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros(8000 * 70), 8000)
    with pytest.raises(web.UploadError, match="70 s is over the 60 s limit"):
        web.check_upload(long)
    with pytest.raises(web.UploadError, match="over the 1 MB upload limit"):
        web.check_upload(long, max_mb=1)
    with pytest.raises(web.UploadError, match="no sound given"):
        web.check_upload(None)
    (tmp_path / "x.txt").write_text("not audio")  # passes the limits; audio.load names the problem
    assert web.check_upload(tmp_path / "x.txt") == tmp_path / "x.txt"


def test_card_shows_every_settings_line():
    text = settings.format(PLUCK)
    card = web.card(text, 0.25, 1)
    assert "(MSS) 0.250" in card
    for line in text.strip().splitlines():
        assert f"**{line.split(':')[0]}**" in card


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("no Chromium: install Debian's chromium package (make test does, as root) for browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra: pip install -e .[test]")
    root = tmp_path_factory.mktemp("app")
    M.save(M.build("debug", pool=2, seed=0), root / "model", Vocab())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = web.launch("127.0.0.1", port, model_dir=str(root / "model"), block=False)
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser, f"http://127.0.0.1:{port}/", sync_api.expect
        browser.close()
    demo.close()


def test_upload_match_listen_and_download_in_a_browser(served, tmp_path):
    browser, url, expect = served
    audio.write_wav(tmp_path / "lead.wav", synth.render(PLUCK), 16000)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    page.locator("#upload input[type=file]").set_input_files(str(tmp_path / "lead.wav"))
    page.locator("#match").click()
    expect(page.locator("#settings textarea")).to_have_value(re.compile(r"^Waveform: .*\nNote: ", re.S), timeout=180_000)
    text = page.locator("#settings textarea").input_value()
    assert settings.parse(text)  # a valid settings file, as the CLI writes it
    expect(page.locator("#card")).to_contain_text("audio distance (MSS)")
    # both players are loaded: A with the analysed input, B with the match's standard render
    # both players hold a 3 s sound: A the analysed input, B the match's standard render
    for player in ("#input-audio", "#match-audio"):
        players = page.locator(f"{player} audio").element_handles()  # (Gradio's players live in shadow DOM)
        page.wait_for_function("els => els.some(a => Math.abs(a.duration - 3.0) < 0.01)", arg=players,
                               timeout=30_000, polling=200)
    expect(page.locator("#downloads a[href$='lead.txt']")).to_have_count(1)
    expect(page.locator("#downloads a[href$='lead.vital']")).to_have_count(1)
    expect(page.locator("#spectrograms img")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "app-after-match.png"), full_page=True)
    assert (tmp_path / "app-after-match.png").stat().st_size > 10_000
    page.close()


def test_a_non_audio_upload_gets_the_clis_error_in_the_page(served, tmp_path):
    browser, url, expect = served
    (tmp_path / "notes.wav").write_text("these are my notes, not a sound")
    page = browser.new_page()
    page.goto(url)
    page.locator("#upload input[type=file]").set_input_files(str(tmp_path / "notes.wav"))
    page.locator("#match").click()
    expect(page.get_by_text(re.compile(r"notes\.wav: not a readable audio file"))).to_be_visible(timeout=60_000)
    expect(page.locator("#settings textarea")).to_have_value("")  # nothing half-made is shown
    page.close()
