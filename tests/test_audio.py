import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from whispersynth import audio, settings, synth
from whispersynth.errors import AudioError

PLUCK = settings.parse(
    "Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: N/A\nFilter Cutoff: N/A\n"
    "ADSR Envelope: Attack: 2ms, Decay: 300ms, Sustain: -12 dB, Release: 200ms\nLFO Modulation: None\n"
)


@pytest.fixture(scope="module")
def clip():
    return synth.render(PLUCK)


def test_any_rate_and_channels_come_to_the_standard_convention(clip, tmp_path):
    stereo44 = synth.render(PLUCK, sample_rate=44100, stereo=True, normalize=False)
    lead = np.zeros((2, 22050), np.float32)  # half a second of silence before the note
    sf.write(tmp_path / "in.flac", np.concatenate([lead, stereo44 * 0.3], axis=1).T, 44100)
    got = audio.load(tmp_path / "in.flac")
    assert got.shape == (48000,) and got.dtype == np.float32
    assert abs(np.abs(got).max() - 10 ** (-1 / 20)) < 1e-4
    # same as the standard render, within the resampler's and FLAC's precision
    lag = int(np.argmax(np.correlate(got[:4000], clip[:4000], "full"))) - 3999
    assert abs(lag) <= 4  # 0.25 ms: the attack's first samples are below the -80 dB onset floor
    aligned = clip[-lag:] if lag < 0 else np.concatenate([np.zeros(lag, np.float32), clip])
    assert np.abs(got[:40000] - aligned[:40000]).mean() < 0.01  # a fraction of a sample apart


def test_start_picks_a_later_note(clip, tmp_path):
    two = np.concatenate([clip * 0.0 + np.sin(np.arange(48000) * 0.05) * 0.5, np.zeros(8000), clip])
    sf.write(tmp_path / "two.wav", two, 16000)
    later = audio.load(tmp_path / "two.wav", start=3.2)
    assert np.abs(later[:30000] - clip[:30000]).max() < 0.01


def test_onset_keeps_a_slow_attack_and_cuts_a_noisy_lead_in():
    t = np.arange(48000) / 16000
    note = np.sin(2 * np.pi * 220 * t) * np.minimum(t / 0.5, 1.0)  # 500 ms linear attack
    assert audio.onset_index(np.concatenate([np.zeros(3000), note])) - 3000 < 16 * 20  # < 20 ms
    rng = np.random.default_rng(0)
    noisy = np.concatenate([rng.normal(0, 1e-3, 8000), note + rng.normal(0, 1e-3, note.size)])
    assert abs(audio.onset_index(noisy) - 8000) < 16 * 40  # within 40 ms of the true start


@pytest.mark.parametrize("case,message", [
    ("missing", "no such file"),
    ("empty", "the file is empty"),
    ("not_audio", "not a readable audio file"),
    ("silent", "silent"),
    ("nan", "NaN or infinite"),
    ("no_samples", "contains no audio samples"),
])
def test_bad_inputs_raise_clear_errors(case, message, tmp_path):
    path = tmp_path / "x.wav"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "not_audio":
        path.write_text("Waveform: Saw\n")
    elif case == "silent":
        sf.write(path, np.full(16000, 1e-5), 16000)
    elif case == "nan":
        x = np.full(16000, 0.1, np.float32)
        x[100] = np.nan
        sf.write(path, x, 16000, subtype="FLOAT")
    elif case == "no_samples":
        sf.write(path, np.zeros(0), 16000)
    with pytest.raises(AudioError, match=message):
        audio.load(path)


def test_absurd_length_and_size_are_refused(tmp_path, monkeypatch):
    long = tmp_path / "long.wav"
    with sf.SoundFile(long, "w", 8000, 1, subtype="PCM_U8") as fh:  # 11 min at 8 kHz, 5 MB
        for _ in range(66):
            fh.write(np.full(80000, 0.1))
    with pytest.raises(AudioError, match="longer than the 600 s limit"):
        audio.load(long)
    monkeypatch.setattr(audio, "MAX_BYTES", 1000)
    with pytest.raises(AudioError, match="too large"):
        audio.load(long)


# ---------------------------------------------------------------- bad input, tried systematically

PEAK = 10 ** (-1 / 20)
SILENT_PEAK = 10 ** (-60 / 20)
# Vital's engine leaves flush-to-zero on after a render, and st.floats refuses to run then:
# fractions and levels are drawn as integers.
FRACTIONS = st.integers(0, 9999).map(lambda k: k / 10000)
WAV_HEADER = 44  # RIFF, fmt and data chunk headers of a plain PCM WAV
# (offset, struct format) of every field of that header a damaged or hostile file could claim anything in
WAV_FIELDS = {"riff size": (4, "<I"), "format tag": (20, "<H"), "channels": (22, "<H"), "rate": (24, "<I"),
              "byte rate": (28, "<I"), "block align": (32, "<H"), "bits": (34, "<H"), "data size": (40, "<I")}


def _standard_or_refused(path, **kw):
    """audio.load gives a standard clip, or AudioError naming the file in one line; None then."""
    try:
        clip = audio.load(path, **kw)
    except AudioError as e:
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)
        return None
    assert clip.shape == (48000,) and clip.dtype == np.float32 and np.all(np.isfinite(clip))
    assert abs(np.abs(clip).max() - PEAK) < 1e-4
    return clip


def _patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    out[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(out)


@pytest.fixture(scope="module")
def sounds(clip, tmp_path_factory):
    """The pluck as 16-bit WAV and FLAC bytes, and a folder to write damaged copies into."""
    folder = tmp_path_factory.mktemp("sounds")
    audio.write_wav(folder / "a.wav", clip, 16000)
    sf.write(folder / "a.flac", clip, 16000, subtype="PCM_16")
    return {"wav": (folder / "a.wav").read_bytes(), "flac": (folder / "a.flac").read_bytes(), "dir": folder}


@given(kind=st.sampled_from(["wav", "flac"]), at=FRACTIONS)
@hsettings(max_examples=60, deadline=None, derandomize=True)
def test_files_cut_at_any_byte_are_read_as_their_prefix_or_refused(sounds, kind, at):
    whole = sounds[kind]
    cut = int(at * len(whole))
    path = sounds["dir"] / f"cut.{kind}"
    path.write_bytes(whole[:cut])
    if _standard_or_refused(path) is None:
        return
    assert kind == "flac" or cut > WAV_HEADER  # a cut header is never read as a sound
    got, _ = audio.read(path)  # what was read is the start of the sound, never garbage
    full, _ = audio.read(sounds["dir"] / f"a.{kind}")
    assert got.shape[1] <= full.shape[1] and np.array_equal(got, full[:, : got.shape[1]])


@given(field=st.sampled_from(sorted(WAV_FIELDS)),
       value=st.sampled_from([0, 1, 2, 3, 0xFFFE, 0xFFFF, 0xFFFFFFFF]) | st.integers(0, 0xFFFFFFFF))
@hsettings(max_examples=80, deadline=None, derandomize=True)
def test_a_wav_header_claiming_anything_is_read_or_refused(sounds, field, value):
    offset, fmt = WAV_FIELDS[field]
    path = sounds["dir"] / "claims.wav"
    path.write_bytes(_patched(sounds["wav"], offset, fmt, value % 256 ** struct.calcsize(fmt)))
    _standard_or_refused(path)


def test_huge_claimed_sizes_are_bounded_by_the_file(sounds, clip):
    folder, wav = sounds["dir"], sounds["wav"]
    intact, _ = audio.read(folder / "a.wav")
    for offset in (4, 40):  # RIFF and data chunk sizes of 0xFFFFFFFF (what streaming writers leave)
        (folder / "huge.wav").write_bytes(_patched(wav, offset, "<I", 0xFFFFFFFF))
        got, rate = audio.read(folder / "huge.wav")
        assert rate == 16000 and np.array_equal(got, intact)  # read to the end of the file, no further
    (folder / "header.wav").write_bytes(_patched(wav[:WAV_HEADER], 40, "<I", 0xFFFFFFFF))
    with pytest.raises(AudioError, match="contains no audio samples"):
        audio.load(folder / "header.wav")
    (folder / "slow.wav").write_bytes(_patched(wav, 24, "<I", 1))  # 48 000 frames at 1 Hz
    with pytest.raises(AudioError, match="longer than the 600 s limit"):
        audio.load(folder / "slow.wav")
    (folder / "huge.flac").write_bytes(_flac_claiming_frames(sounds["flac"], 2**36 - 1))
    with pytest.raises(AudioError, match="longer than the 600 s limit"):
        audio.load(folder / "huge.flac")


def _flac_claiming_frames(flac: bytes, frames: int) -> bytes:
    """FLAC whose STREAMINFO (right after "fLaC" and its block header) claims `frames` samples:
    the low 36 bits of its bytes 10..17."""
    field = int.from_bytes(flac[18:26], "big") & ~(2**36 - 1) | frames
    return flac[:18] + field.to_bytes(8, "big") + flac[26:]


@pytest.mark.parametrize("suffix", [".wav", ".aiff"])
def test_zero_channels_are_refused(suffix, tmp_path):
    path = tmp_path / f"x{suffix}"
    sf.write(path, np.full(1600, 0.5), 16000, subtype="PCM_16")
    data = path.read_bytes()
    offset = 22 if suffix == ".wav" else data.find(b"COMM") + 8
    path.write_bytes(_patched(data, offset, "<H" if suffix == ".wav" else ">H", 0))
    with pytest.raises(AudioError, match="not a readable audio file") as err:
        audio.load(path)
    assert "\n" not in str(err.value)


MAGIC = [b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC\x00\x00\x00\x22", b"OggS\x00\x02", b"ID3\x03\x00\x00\x00\x00\x00\x00",
         b"\xff\xfb\x90\x64", b"FORM\x00\x00\x00\x00AIFF"]


@given(suffix=st.sampled_from([".wav", ".flac", ".mp3", ".ogg"]), body=st.binary(min_size=1, max_size=3000),
       magic=st.sampled_from([b"", *MAGIC]))
@hsettings(max_examples=120, deadline=None, derandomize=True)
def test_random_bytes_with_an_audio_suffix_are_refused(sounds, suffix, body, magic):
    path = sounds["dir"] / f"junk{suffix}"
    path.write_bytes(magic + body)
    got = _standard_or_refused(path)
    assert got is None or magic  # junk behind a real format's magic might decode; plain junk never


def test_junk_mp3_prints_nothing_on_stderr(tmp_path, capfd):
    path = tmp_path / "junk.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(3000))  # libmpg123 prints its resync notes on fd 2
    with pytest.raises(AudioError, match="not a readable audio file"):
        audio.load(path)
    assert capfd.readouterr().err == ""
    print("fd 2 works again", file=sys.stderr)
    assert capfd.readouterr().err == "fd 2 works again\n"


@pytest.mark.parametrize("kind,message", [
    ("folder", "a folder, not a sound file"),
    ("fifo", "not a regular file"),
    ("device", "not a regular file"),
    ("missing", "no such file"),
])
def test_what_is_not_a_file_is_refused_before_opening(kind, message, tmp_path, no_hang):
    path = {"folder": tmp_path, "device": Path("/dev/null")}.get(kind, tmp_path / "x.wav")
    if kind == "fifo":
        os.mkfifo(path)
    with no_hang(5), pytest.raises(AudioError, match=message):
        audio.load(path)  # opening a FIFO would wait for a writer forever


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_named(clip, tmp_path):
    path = tmp_path / "x.wav"
    audio.write_wav(path, clip, 16000)
    path.chmod(0)
    with pytest.raises(AudioError, match="not a readable audio file.*Permission denied"):
        audio.load(path)


@given(where=st.integers(0, 15999), value=st.sampled_from([np.nan, np.inf, -np.inf]), channels=st.integers(1, 2),
       subtype=st.sampled_from(["FLOAT", "DOUBLE"]))
@hsettings(max_examples=20, deadline=None, derandomize=True)
def test_nan_or_inf_anywhere_in_a_float_file_is_refused(sounds, where, value, channels, subtype):
    x = np.full((16000, channels), 0.1, np.float32)
    x[where, channels - 1] = value
    path = sounds["dir"] / "nan.wav"
    sf.write(path, x, 16000, subtype=subtype)
    with pytest.raises(AudioError, match="NaN or infinite"):
        audio.load(path)


@given(level=FRACTIONS.map(lambda f: 0.9 * f * SILENT_PEAK), rate=st.sampled_from([8000, 16000, 44100]),
       subtype=st.sampled_from(["PCM_16", "PCM_24", "FLOAT"]), noise=st.booleans())
@hsettings(max_examples=20, deadline=None, derandomize=True)
def test_a_silent_file_is_refused(sounds, level, rate, subtype, noise):
    t = np.arange(rate) / rate
    x = np.random.default_rng(0).uniform(-1, 1, rate) if noise else np.sin(2 * np.pi * 440 * t)
    path = sounds["dir"] / "quiet.wav"
    sf.write(path, x * level, rate, subtype=subtype)
    with pytest.raises(AudioError, match="silent"):
        audio.load(path)


@pytest.mark.parametrize("start", [float("inf"), float("nan"), -1.0])
def test_a_start_that_is_no_time_is_refused(clip, tmp_path, start):
    audio.write_wav(tmp_path / "x.wav", clip, 16000)
    with pytest.raises(AudioError, match="is not a time in a sound"):
        audio.load(tmp_path / "x.wav", start=start)
