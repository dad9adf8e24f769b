import numpy as np
import pytest
import soundfile as sf

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
