import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from whispersynth import audio, match, model as M, settings, synth
from whispersynth.cli import app
from whispersynth.errors import WhisperSynthError
from whispersynth.tokens import Vocab

PATCH = settings.parse(
    "Waveform: Square\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 1200 Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 400ms, Sustain: -10 dB, Release: 300ms\nLFO Modulation: None\n"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    M.save(M.build("debug", pool=2, seed=0), out, Vocab())
    return out


def test_rank_puts_the_true_patch_first():
    clip = synth.render(PATCH)
    guesses = [M.Guess(PATCH.replace(waveform="Saw"), -1.0), M.Guess(PATCH, -2.0), M.Guess(PATCH.replace(cutoff=300), -3.0)]
    ranked = match.rank(clip, guesses)
    assert ranked[0].patch == PATCH and ranked[0].distance == 0.0
    assert ranked[1].distance <= ranked[2].distance


def test_match_cli_writes_every_output_for_each_rank(model_dir, tmp_path):
    stereo = synth.render(PATCH, sample_rate=44100, stereo=True, normalize=False)
    sf.write(tmp_path / "lead.flac", stereo.T * 0.5, 44100)
    result = CliRunner().invoke(app, ["match", str(tmp_path / "lead.flac"), "-o", str(tmp_path / "out"),
                                      "--model", str(model_dir), "--top-k", "2"])
    assert result.exit_code == 0, result.output
    for tag in ("", ".top2"):
        for suffix in (".txt", ".vital", ".fxp", ".match.wav", ".preview.wav", ".png"):
            assert (tmp_path / "out" / f"lead{tag}{suffix}").is_file(), tag + suffix
    best = settings.load(tmp_path / "out" / "lead.txt")
    assert settings.format(best) in result.output
    # the match file is exactly the standard render of the written settings
    written, rate = sf.read(tmp_path / "out" / "lead.match.wav")
    assert rate == 16000 and np.abs(written - synth.render(best)).max() < 2 / 32767
    preview = sf.info(str(tmp_path / "out" / "lead.preview.wav"))
    assert (preview.samplerate, preview.channels) == (44100, 2)


def test_two_inputs_with_one_stem_are_refused_before_any_work(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        audio.write_wav(tmp_path / d / "kick.wav", synth.render(PATCH), 16000)
    with pytest.raises(WhisperSynthError, match="kick"):
        match.collect_inputs([tmp_path / "a", tmp_path / "b" / "kick.wav"])


def test_bad_inputs_exit_2_with_one_line(model_dir, tmp_path):
    import subprocess
    import sys

    (tmp_path / "notes.wav").write_text("hello")
    good = tmp_path / "good.wav"  # a readable sound, so the bad --model case really reaches the model
    audio.write_wav(good, synth.render(PATCH), 16000)
    for args in (["missing.wav"], [str(tmp_path / "notes.wav")], [str(good), "--model", str(tmp_path)]):
        r = subprocess.run([sys.executable, "-m", "whispersynth", "match", *args, "-o", str(tmp_path / "o"),
                            *(["--model", str(model_dir)] if "--model" not in args else [])],
                           capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        if "--model" in args and args[0] == str(good):
            assert "not a model folder" in r.stderr, r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())  # no partial output


def test_warning_for_a_noise_like_input():
    noise = np.random.default_rng(0).normal(0, 0.3, 48000).astype(np.float32)
    assert any("noise-like" in w for w in match.warnings_for(noise))
    assert match.warnings_for(synth.render(PATCH)) == []


def test_refine_keeps_the_network_guess_and_never_does_worse(model_dir, tmp_path):
    from whispersynth import metrics

    audio.write_wav(tmp_path / "lead.wav", synth.render(PATCH), 16000)
    result = CliRunner().invoke(app, ["match", str(tmp_path / "lead.wav"), "-o", str(tmp_path / "out"),
                                      "--model", str(model_dir), "--refine", "--renders", "24", "--workers", "1"])
    assert result.exit_code == 0, result.output
    clip = audio.load(tmp_path / "lead.wav")
    net = settings.load(tmp_path / "out" / "lead.net.txt")
    refined = settings.load(tmp_path / "out" / "lead.txt")
    assert (tmp_path / "out" / "lead.net.vital").is_file()
    assert metrics.mss(clip, synth.render(refined))[0] <= metrics.mss(clip, synth.render(net))[0]
    assert "-> refined" in result.output


def test_spectrogram_draws_digital_silence_as_the_floor():
    x = synth.render(PATCH)
    x[24000:] = 0.0  # digital silence after 1.5 s
    db, freqs, times = match.spectrogram_db(x)
    assert np.isfinite(db).all() and db.shape == (freqs.size, times.size)
    silent = times > 1.6
    assert silent.any() and np.all(db[:, silent] == match.PLOT_FLOOR_DB)
    assert db[:, times < 1.0].max() > match.PLOT_FLOOR_DB + 60  # the note itself stands far above it


@pytest.mark.parametrize("search", match.SEARCHES)
def test_ranked_candidates_and_the_doubts_search_never_worse_than_greedy(model_dir, search):
    from whispersynth import metrics
    from whispersynth.sampler import clip_rng, sample_patch

    net, vocab = match.load_model(model_dir)
    options = match.MatchOptions(search=search, candidates=5, top_k=5)
    for i in range(3):
        clip = synth.render(sample_patch(clip_rng(11, i)))
        found, best = match.find(clip, net, vocab, options)
        greedy = M.predict(net, vocab, clip)[0][0].patch
        assert found[0] is best and len({c.patch for c in found}) == len(found) <= 5
        assert [c.distance for c in found] == sorted(c.distance for c in found)
        if search == "doubts":  # greedy is its first candidate (beam search need not hold it)
            assert best.distance <= float(metrics.mss(clip, synth.render(greedy))[0]) + 1e-6
        assert best.distance == pytest.approx(float(metrics.mss(clip, synth.render(best.patch))[0]), abs=1e-6)
