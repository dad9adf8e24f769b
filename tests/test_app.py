"""The web app: its limits as plain functions, and the whole thing in a real browser.

The browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright; they skip,
saying why, only where no Chromium is installed (`make test` installs it when run as root)."""

import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whispersynth import app as web
from whispersynth import audio, settings, synth

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
    assert "(MSS) 0.250" in card and "log-mel" not in card
    assert "(MSS) 0.250 · log-mel L1 0.125" in web.card(text, 0.25, 1, 0.125)
    for line in text.strip().splitlines():
        assert f"**{line.split(':')[0]}**" in card


def test_a_dropped_loop_is_matched_on_its_notes_with_its_midi_and_replay(model_dir, tmp_path):
    from whispersynth import phrase
    from whispersynth.phrase import Note

    notes = [Note(0.05, 0.35, 57, 0, 0.0), Note(0.45, 0.75, 60, 0, -2.0), Note(0.85, 1.3, 64, 0, -1.0)]
    sf.write(tmp_path / "loop.wav", phrase.render_phrase(PLUCK.replace(release=0.05), notes), 16000)
    out = tmp_path / "out"
    out.mkdir()
    options = web.OPTIONS.__class__(top_k=1, candidates=2, workers=1)
    result = web.run_match(tmp_path / "loop.wav", out, options, str(model_dir))
    assert result["notes"] == 3 and result["phrase"] == "A3 C4 E4"
    (c,) = result["candidates"]
    assert c["match"].endswith("loop.phrase.wav") and c["png"].endswith("loop.phrase.png")
    assert [Path(d).name for d in c["downloads"]] == ["loop.txt", "loop.vital", "loop.fxp", "loop.mid"]
    midi = [n for _, _, n, _ in phrase.read_midi(Path(c["downloads"][-1]).read_bytes())]
    assert [n - midi[0] for n in midi] == [0, 3, 7]  # the notes' intervals (the preset may play them an octave off)
    assert sf.info(result["input"]).duration > 1.3  # A plays the whole loop, not 3 s of its first note
    assert settings.parse(c["text"]) and np.isfinite(c["distance"])
    one = web.run_match(tmp_path / "loop.wav", tmp_path, web.OPTIONS.__class__(top_k=1, candidates=2, workers=1,
                                                                              phrase=False), str(model_dir))
    assert "phrase" not in one and one["candidates"][0]["match"].endswith("loop.match.wav")
    assert np.isfinite(one["candidates"][0]["logmel"]) and "logmel" not in c  # a note's match has both, a phrase's MSS


def test_an_editing_session_compares_with_the_sound_and_the_start(model_dir, tmp_path):
    running = web.App(str(model_dir))
    try:
        alone = running.start_edit(PLUCK, stem="pluck")  # no sound: compared with where it started
        assert alone["to"] == "where you started" and alone["start_distance"] == 0.0
        darker = running.hear(running.edit(alone, "cutoff", 300))
        assert "\nFilter Cutoff: 300Hz\n" in darker["text"] and "where you started" in darker["distance"]
        assert [Path(f).name for f in darker["downloads"]] == ["pluck.edit.txt", "pluck.edit.vital", "pluck.edit.fxp"]
        square = PLUCK.replace(waveform="Square")
        audio.write_wav(tmp_path / "square.wav", synth.render(square), 16000)
        heard = running.start_edit(PLUCK, tmp_path / "square.wav", stem="square")  # a match of that sound
        assert heard["to"] == "your sound" and heard["start_distance"] > 0.1
        fixed = running.hear(running.edit(heard, "waveform", "Square"))
        distance = float(re.search(r"\*\*([0-9.]+)\*\*", fixed["distance"]).group(1))
        assert distance < 0.02 and "closer than where you started" in fixed["distance"]
        with pytest.raises(web.WhisperSynthError, match="silent"):
            running.start_edit(PLUCK.replace(note=0, filter_type="Highpass", cutoff=20000, lfo_target=None,
                                             lfo_rate=None, lfo_depth=None, sustain=float("-inf"), decay=0.001,
                                             attack=0.0, release=0.001))
    finally:
        running.close()


def test_the_apps_ranking_choice_reaches_the_match(model_dir, tmp_path, monkeypatch):
    audio.write_wav(tmp_path / "pluck.wav", synth.render(PLUCK.replace(waveform="Square")), 16000)
    seen, real = [], web.run_match
    monkeypatch.setattr(web, "run_match", lambda path, out, options, *a, **k: (seen.append(options.ranking),
                                                                               real(path, out, options, *a, **k))[1])
    running = web.App(str(model_dir), options=web.OPTIONS.__class__(top_k=3, candidates=4, workers=1, ranking="mss"))
    try:
        keys = {}
        for ranking in ("mss-logmel", "mss", None):
            got = running.match(tmp_path / "pluck.wav", 3, False, 10, ranking=ranking)["candidates"]
            assert len(got) == 3 and all(np.isfinite(c["logmel"]) for c in got)
            keys[ranking] = [c["distance"] * (c["logmel"] if ranking == "mss-logmel" else 1.0) for c in got]
        assert seen == ["mss-logmel", "mss", "mss"]  # the choice reaches the match; none: the app's own option
        with pytest.raises(web.WhisperSynthError, match="rank by: expected one of mss, mss-logmel, auto, got 'loudness'"):
            running.match(tmp_path / "pluck.wav", 3, False, 10, ranking="loudness")  # the CLI's check and words
        assert len(seen) == 3  # refused before any match ran
        assert all(k == sorted(k) for k in keys.values()), keys  # each list in its own ranking's order
        assert [v for _, v in web.RANKING_CHOICES] == list(web.match.RANKINGS)
    finally:
        running.close()



def test_the_apps_bank_choice_reaches_the_match(model_dir, tmp_path, monkeypatch):
    audio.write_wav(tmp_path / "pluck.wav", synth.render(PLUCK.replace(waveform="Square")), 16000)
    seen, real = [], web.run_match
    monkeypatch.setattr(web, "run_match", lambda path, out, options, *a, **k: (seen.append(options.retrieve),
                                                                               real(path, out, options, *a, **k))[1])
    running = web.App(str(model_dir), options=web.OPTIONS.__class__(top_k=2, candidates=2, workers=1, retrieve=1))
    try:
        for retrieve in (3, 0, None):
            assert len(running.match(tmp_path / "pluck.wav", 2, False, 10, retrieve=retrieve)["candidates"]) == 2
        assert seen == [3, 0, 1]  # the slider's value reaches the match; none: the app's own option
        with pytest.raises(web.WhisperSynthError, match=f"retrieve: expected 0 to {web.match.RETRIEVE_MAX} bank patches, got 99"):
            running.match(tmp_path / "pluck.wav", 2, False, 10, retrieve=99)
        assert len(seen) == 3  # refused before any match ran
    finally:
        running.close()

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(model_dir):
    port = _free_port()
    running = web.launch("127.0.0.1", port, model_dir=str(model_dir), block=False)
    yield running, f"http://127.0.0.1:{port}/"
    running.close()


@pytest.fixture(scope="module")
def served(server):
    if CHROMIUM is None:
        pytest.skip("no Chromium: install Debian's chromium package (make test does, as root) for browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra: pip install -e .[test]")
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser, server[1], sync_api.expect
        browser.close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except urllib.error.URLError:
        return 0, b""  # not listening (yet)


def test_the_app_serves_only_its_own_folder(server, tmp_path):
    running, url = server
    root = running.workspace.root
    assert root.is_dir() and root != Path(tempfile.gettempdir())
    secret = Path(tempfile.mkstemp(prefix="someone-elses-", suffix=".txt")[1])  # beside the app's folder
    secret.write_text("private")
    try:
        for path in (str(secret), f"{root}/results/../../{secret.name}", f"{root}/../{secret.name}", "/etc/passwd",
                     str(Path(tempfile.gettempdir()) / "gradio" / secret.name)):
            status, body = _get(f"{url}gradio_api/file={urllib.parse.quote(path)}")
            assert status in (403, 404) and b"private" not in body, path
        example = next(running.workspace.examples.iterdir())  # what the app itself offers is served
        status, body = _get(f"{url}gradio_api/file={urllib.parse.quote(str(example))}")
        assert status == 200 and body == example.read_bytes()
    finally:
        secret.unlink()


def test_workspace_prunes_by_age_and_size_and_spares_running_requests(tmp_path):
    ws = web.Workspace(keep_minutes=10, max_disk_mb=1.0, parent=tmp_path)
    try:
        def entry(name: str, kb: int, age_s: float) -> Path:
            folder = ws.results / name
            folder.mkdir()
            (folder / "x.wav").write_bytes(b"\0" * kb * 1000)
            t = time.time() - age_s
            os.utime(folder, (t, t))
            return folder

        old = entry("old", 10, 3600)  # past the 10 minutes
        a, b, c = entry("a", 400, 300), entry("b", 400, 200), entry("c", 400, 100)  # 1.2 MB: over the cap
        ws.prune()
        assert not old.exists() and not a.exists() and b.exists() and c.exists()  # oldest went first
        assert ws.size() <= 1e6
        with ws.request() as mine:
            (mine / "big.wav").write_bytes(b"\0" * 900_000)
            ws.prune()
            assert mine.exists() and not b.exists()  # the running request is kept, older results go
        with pytest.raises(RuntimeError), ws.request() as failed:
            raise RuntimeError("the match failed")
        assert not failed.exists()  # nothing half-made stays
        assert len(failed.name) >= 20  # unguessable ids
    finally:
        ws.close()
    assert not ws.root.exists()


def test_upload_match_listen_and_download_in_a_browser(served, tmp_path):
    browser, url, expect = served
    audio.write_wav(tmp_path / "lead.wav", synth.render(PLUCK), 16000)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    page.locator("#upload input[type=file]").set_input_files(str(tmp_path / "lead.wav"))
    page.locator("#ranking label", has_text="distance x spectrum").click()  # the other ranking than the default
    page.locator("#match").click()
    expect(page.locator("#settings textarea")).to_have_value(re.compile(r"^Waveform: .*\nNote: ", re.S), timeout=180_000)
    text = page.locator("#settings textarea").input_value()
    assert settings.parse(text)  # a valid settings file, as the CLI writes it
    expect(page.locator("#card")).to_contain_text("audio distance (MSS)")
    labels = page.locator("#pick label").all_inner_texts()  # the candidates, each with both distances
    keys = [float(a) * float(b) for a, b in (re.search(r"MSS ([0-9.]+), log-mel ([0-9.]+)", t).groups() for t in labels)]
    # in the order of the ranking chosen (the labels' rounding moves a product by < 0.002)
    assert len(keys) == 3 and all(a <= b + 0.002 for a, b in zip(keys, keys[1:])), labels
    # both players hold a 3 s sound: A the analysed input, B the match's standard render
    for player in ("#input-audio", "#match-audio"):
        players = page.locator(f"{player} audio").element_handles()  # (Gradio's players live in shadow DOM)
        page.wait_for_function("els => els.some(a => Math.abs(a.duration - 3.0) < 0.01)", arg=players,
                               timeout=30_000, polling=200)
    expect(page.locator("#downloads a[href$='lead.txt']")).to_have_count(1)
    expect(page.locator("#downloads a[href$='lead.vital']")).to_have_count(1)
    expect(page.locator("#downloads a[href$='lead.fxp']")).to_have_count(1)
    # the downloads work: the browser fetches the very settings shown, served from the app's folder
    href = page.locator("#downloads a[href$='lead.txt']").get_attribute("href")
    got = page.request.get(href if href.startswith("http") else url.rstrip("/") + href)
    assert got.status == 200 and got.text() == text
    assert "whispersynth-app-" in urllib.parse.unquote(href)
    expect(page.locator("#spectrograms img")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "app-after-match.png"), full_page=True)
    assert (tmp_path / "app-after-match.png").stat().st_size > 10_000
    page.locator("#edit-match").click()  # the match, opened in the editor against the input
    expect(page.locator("#ed-settings textarea")).to_have_value(text, timeout=60_000)
    expect(page.locator("#ed-distance")).to_contain_text("Audio distance to your sound")
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


# Gradio's audio player decodes into an <audio> inside wavesurfer's shadow root: the one whose
# source is a blob is the sound that plays; new and ready (readyState >= 3) means playable.
_AUDIOS = ("const all = (root, out) => { for (const el of root.querySelectorAll('*')) { if (el.tagName === 'AUDIO') "
           "out.push(el); if (el.shadowRoot) all(el.shadowRoot, out); } return out; };")
PLAYING = "sel => { " + _AUDIOS + " return all(document.querySelector(sel), []).map(a => a.src).join(' '); }"
PLAYABLE = ("([sel, old]) => { " + _AUDIOS + " return all(document.querySelector(sel), []).some(a => "
            "a.src.startsWith('blob:') && !old.includes(a.src) && a.readyState >= 3 && Math.abs(a.duration - 3) < 0.01); }")


def _wait_new_audio(page, old: str, sel: str = "#ed-audio") -> str:
    page.wait_for_function(PLAYABLE, arg=[sel, old], timeout=60_000, polling=50)
    return page.evaluate(PLAYING, sel)


def _choose(page, elem: str, option: str) -> None:
    page.locator(f"#{elem} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def _type(page, elem: str, value) -> None:
    box = page.locator(f"#{elem} input[type=number]")
    box.fill(str(value))
    box.press("Tab")  # the slider's release: a typed value counts when the box is left


def _open_ear(page, url: str, expect):
    page.goto(url)
    page.get_by_role("tab", name="Learn by ear").click()
    box = page.locator("#ed-settings textarea")
    expect(box).to_have_value(re.compile(r"^Waveform: Saw\nVoices: 1\n"), timeout=60_000)  # Vital's init patch
    return box


def test_turn_the_knobs_by_ear_in_a_browser(served, tmp_path):
    browser, url, expect = served
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    box = _open_ear(page, url, expect)
    _choose(page, "ed-start", "Example: pluck")
    page.locator("#ed-load").click()
    expect(box).to_have_value(settings.format(PLUCK), timeout=30_000)
    expect(page.locator("#ed-distance")).to_contain_text("0.000")  # the start, against itself
    heard = _wait_new_audio(page, "")
    # a slider: the text, the sound and the distance follow
    _type(page, "ed-cutoff", 400)
    expect(box).to_have_value(re.compile(r"\nFilter Cutoff: 400Hz\n"), timeout=30_000)
    heard = _wait_new_audio(page, heard)
    expect(page.locator("#ed-distance")).not_to_contain_text("0.000")
    darker = float(re.search(r"\*?([0-9.]+)\*? MSS", page.locator("#ed-distance").inner_text()).group(1))
    assert darker > 0.05
    href = page.locator("#ed-downloads a[href$='pluck.edit.txt']").get_attribute("href")
    got = page.request.get(href if href.startswith("http") else url.rstrip("/") + href)
    assert got.status == 200 and got.text() == box.input_value()  # the download is the patch shown
    # a dropdown
    _choose(page, "ed-waveform", "Square")
    expect(box).to_have_value(re.compile(r"^Waveform: Square\n"), timeout=30_000)
    heard = _wait_new_audio(page, heard)
    # an on/off switch: the filter off takes its cutoff, and the LFO that moved it, with it
    page.locator("#ed-filter-type-on input").uncheck()
    expect(box).to_have_value(re.compile(r"Filter Type: N/A\nFilter Cutoff: N/A\n.*LFO Modulation: None", re.S),
                              timeout=30_000)
    heard = _wait_new_audio(page, heard)
    expect(page.locator("#ed-cutoff input[type=number]")).to_be_disabled()
    page.locator("#ed-lfo-modulation-on input").check()
    expect(box).to_have_value(re.compile(r"LFO Modulation: Pitch, "), timeout=30_000)
    page.locator("#ed-lfo-target input").click()  # no LFO on a filter that is not there
    options = page.get_by_role("option").all_inner_texts()
    assert [o.strip("✓\n") for o in options] == ["Pitch", "Volume"], options
    page.keyboard.press("Escape")
    # the rules hold: one voice has no detune, FM needs oscillator 2
    _type(page, "ed-voices", 1)
    expect(box).to_have_value(re.compile(r"Voices: 1\nOscillator Detune: None\n"), timeout=30_000)
    expect(page.locator("#ed-detune input[type=number]")).to_be_disabled()
    expect(page.locator("#ed-fm-on input")).to_be_disabled()
    page.locator("#ed-oscillator-2-on input").check()
    expect(page.locator("#ed-fm-on input")).to_be_enabled(timeout=30_000)
    assert settings.parse(box.input_value())  # every state a valid settings file
    page.locator("#ed-explain").click()  # what matters here, in words
    expect(page.locator("#ed-ranking")).to_contain_text(re.compile(r"Waveform.*: (large|clear)"), timeout=120_000)
    # any settings file starts a session; a malformed one is named, and the patch on the page stays
    shown = box.input_value()
    (tmp_path / "mine.txt").write_text(settings.format(PLUCK).replace("Saw", "Supersaw"))
    page.locator("#ed-upload input[type=file]").set_input_files(str(tmp_path / "mine.txt"))
    page.locator("#ed-load").click()
    expect(page.get_by_text(re.compile(r"mine\.txt.*expected one of Sine, Triangle, Saw, Square"))).to_be_visible(
        timeout=30_000)
    expect(box).to_have_value(shown)
    page.locator("#ed-upload button[aria-label='Clear']").click()
    (tmp_path / "mine.txt").write_text(settings.format(PLUCK.replace(note=64)))
    page.locator("#ed-upload input[type=file]").set_input_files(str(tmp_path / "mine.txt"))
    page.locator("#ed-load").click()
    expect(box).to_have_value(settings.format(PLUCK.replace(note=64)), timeout=30_000)
    page.close()


def test_two_browsers_edit_their_own_patches(served):
    browser, url, expect = served
    contexts = [browser.new_context(viewport={"width": 1500, "height": 1400}) for _ in range(2)]  # two users
    pages = [c.new_page() for c in contexts]
    boxes = [_open_ear(p, url, expect) for p in pages]
    for page, wave in zip(pages, ("Square", "Sine")):  # both at once: each move answered in its own page
        _choose(page, "ed-waveform", wave)
    _type(pages[0], "ed-note", 72)
    _type(pages[1], "ed-attack", 0.25)
    expect(boxes[0]).to_have_value(re.compile(r"^Waveform: Square\n.*Attack: 0ms.*Note: C5,", re.S), timeout=30_000)
    expect(boxes[1]).to_have_value(re.compile(r"^Waveform: Sine\n.*Attack: 250ms.*Note: C4,", re.S), timeout=30_000)
    links = [p.locator("#ed-downloads a[href$='.edit.txt']").get_attribute("href") for p in pages]
    assert links[0] != links[1]  # each user's files in their own folder
    for c in contexts:
        c.close()


LOAD_SERVER = """
import sys
from whispersynth import app
app.launch("127.0.0.1", int(sys.argv[1]), model_dir=sys.argv[2], queue_size=2, max_disk_mb=6,
           prune_seconds=1, workers=1)
"""


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def test_more_matches_than_the_queue_admits(model_dir, tmp_path):
    """A fixed burst over loopback: admitted requests get their own results, the rest a busy message,
    memory and the app's folder stay bounded, and the server still answers afterwards."""
    import subprocess
    import sys
    import threading

    from gradio_client import Client, handle_file

    from whispersynth import match
    from whispersynth.sampler import clip_rng, sample_patch

    n, port = 10, _free_port()
    sounds = []
    for i in range(n):  # each user's own sound
        sounds.append(tmp_path / f"user{i}.wav")
        audio.write_wav(sounds[-1], synth.render(sample_patch(clip_rng(7, i))), 16000)
    net, vocab = match.load_model(model_dir)
    expected = [settings.format(match.find(audio.load(f), net, vocab, web.OPTIONS)[0][0].patch) for f in sounds]
    before = set(Path(tempfile.gettempdir()).glob("whispersynth-app-*"))
    proc = subprocess.Popen([sys.executable, "-c", LOAD_SERVER, str(port), str(model_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            if proc.poll() is not None or _get(url)[0] == 200:
                break
            time.sleep(0.25)
        assert _get(url)[0] == 200, proc.stderr.read() if proc.poll() is not None else "no answer"
        (root,) = set(Path(tempfile.gettempdir()).glob("whispersynth-app-*")) - before  # the server's own folder
        peak_folder, done = [0], threading.Event()

        def watch():
            while not done.wait(0.1):
                peak_folder[0] = max(peak_folder[0], sum(p.stat().st_size for p in root.rglob("*") if p.is_file()))

        threading.Thread(target=watch, daemon=True).start()
        client = Client(url, verbose=False)
        jobs = [client.submit(handle_file(str(f)), None, 1, False, 10, web.OPTIONS.ranking, web.OPTIONS.retrieve,
                              api_name="/match") for f in sounds]  # the options `expected` was matched with
        admitted, refused = {}, []
        for i, job in enumerate(jobs):
            try:
                admitted[i] = job.result(timeout=300)
            except Exception as e:  # the client's words for a full queue
                refused.append(str(e))
        done.set()
        assert len(admitted) + len(refused) == n and len(admitted) >= 3 and refused
        assert all("try again" in m.lower() for m in refused), refused
        for i, result in admitted.items():  # no mixing: each user got the match of their own sound
            assert result[2] == expected[i], i
        rss = _peak_rss_mb(proc.pid)
        assert rss < 2000  # one model, one renderer: not a copy per request
        assert peak_folder[0] < 6e6 + 6e6  # the cap, plus what the requests in flight write
        after = client.predict(handle_file(str(sounds[0])), None, 1, False, 10, "mss", api_name="/match")
        assert after[2] == expected[0]  # still answering, and correctly
        time.sleep(2.5)  # the next prunes (every second here)
        final = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        assert final <= 6e6 and (root / "examples").is_dir()  # back under the cap, the app's own files kept
        kept = len([p for p in root.rglob("user*.wav") if p.name.count(".") == 1])  # the users' uploads
        assert kept < n  # the oldest files (uploads already matched) were pruned to get there
        print(f"\nload: {n} requests, {len(admitted)} admitted, {len(refused)} refused; server peak RSS "
              f"{rss:.0f} MB; app folder peak {peak_folder[0] / 1e6:.1f} MB, after pruning {final / 1e6:.1f} MB "
              f"(cap 6 MB, {kept} of {n} uploads kept)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not root.exists()  # the app's folder goes with it
