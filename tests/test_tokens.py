import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from strategies import patches

from whispersynth import settings
from whispersynth.errors import SettingsError
from whispersynth.spec import FIELDS, LOG_STEP
from whispersynth.tokens import BOS, EOS, Vocab, bin_centres

VOCAB = Vocab()


def close_within_bin(field, got, want) -> bool:
    if got is None or want is None or field.kind == "choice":
        return got == want
    if math.isinf(want) or want == 0:
        return got == want or (want == 0 and field.curve == "log" and got <= field.bins[0])
    first, last, step = field.bins
    if field.curve == "log":
        clamped = min(max(want, first), last)
        grid = {"hz": 1, "time": 0.01, "rate": 0.01, "depth": 0.1}[field.kind]  # + one grid step
        return abs(got - clamped) <= clamped * (math.sqrt(step) - 1) + grid + 1e-9 or got == want
    return abs(got - want) <= step / 2 + 1e-9


@given(patches())
@hsettings(max_examples=300, deadline=None)
def test_round_trip_within_bin_precision_and_every_token_allowed(patch):
    ids = VOCAB.encode(patch)
    assert len(ids) == len(FIELDS) + 1 and ids[-1] == EOS
    back = VOCAB.decode([BOS, *ids])
    for f in FIELDS:
        assert close_within_bin(f, getattr(back, f.name), getattr(patch, f.name)), f.name
    for k in range(len(ids)):  # the constrained decoder would allow the true sequence
        assert ids[k] in VOCAB.allowed(ids[:k])
    assert VOCAB.encode(back) == ids  # bin centres are fixed points


def test_vocabulary_is_small_and_bins_are_3_percent_apart():
    assert len(Vocab.version(1)) < 2100 and len(Vocab.version(2)) < 4000 and len(VOCAB) < 5100
    cut = np.array(bin_centres(next(f for f in FIELDS if f.name == "cutoff")), float)
    ratios = cut[1:] / cut[:-1]
    assert abs(np.median(ratios) - LOG_STEP) < 0.002
    assert cut[0] == 20 and cut[-1] > 19000
    names = {t.split(":")[0] for t in VOCAB.tokens[3:]}
    assert names == {f"<{f.name}" for f in FIELDS}
    assert "<attack:0.0>" in VOCAB.tokens and "<sustain:-inf>" in VOCAB.tokens
    assert "<filter_type:N/A>" in VOCAB.tokens and "<detune:None>" in VOCAB.tokens


def test_random_walk_through_allowed_tokens_always_decodes_to_a_valid_patch():
    rng = np.random.default_rng(0)
    for _ in range(500):
        ids: list[int] = []
        while not ids or ids[-1] != EOS:
            ids.append(int(rng.choice(VOCAB.allowed(ids))))
        VOCAB.decode(ids)  # raises SettingsError if the rules were broken


def test_rules_reach_the_decoder():
    first = VOCAB.encode(settings.parse(
        "Waveform: Sine\nVoices: 1\nOscillator Detune: None\nFilter Type: N/A\nFilter Cutoff: N/A\n"
        "ADSR Envelope: Attack: 0ms, Decay: 1.00s, Sustain: 0 dB, Release: 1.00s\n"
        "LFO Modulation: Pitch, Rate: 1Hz, Depth: 20 st\n"))
    tok = VOCAB.tokens
    assert [tok[i] for i in VOCAB.allowed(first[:2])] == ["<detune:None>"]  # one voice
    assert [tok[i] for i in VOCAB.allowed(first[:4])] == ["<cutoff:N/A>"]  # no filter
    targets = [tok[i] for i in VOCAB.allowed(first[:9])]
    assert "<lfo_target:Filter Cutoff>" not in targets and "<lfo_target:Pitch>" in targets
    depths = [VOCAB.value_of[int(i)] for i in VOCAB.allowed(first[:11])]
    assert max(depths) <= 24  # a pitch LFO is at most 24 st deep
    assert [tok[i] for i in VOCAB.allowed(first[:14])] == ["<resonance:0.0>"]  # no filter: no resonance
    assert [tok[i] for i in VOCAB.allowed(first[:15])] == ["<fenv_amount:Off>"]  # ... and no filter envelope
    assert [tok[i] for i in VOCAB.allowed(first[:16])] == ["<fenv_attack:Off>"]  # the line is off as a whole
    assert len(VOCAB.allowed(first[:20])) == 5  # oscillator 2: off or one of the four waves
    assert [tok[i] for i in VOCAB.allowed(first[:26])] == ["<fm_amount:Off>"]  # no oscillator 2: no FM
    assert len(VOCAB.allowed(first[:27])) == 5  # distortion: off or one of the four types
    assert list(VOCAB.allowed(first[:40])) == [EOS]
    assert Vocab.version(1).allowed(first[:14]).tolist() == [EOS]


def test_version_1_vocabulary_is_a_prefix_and_decodes_the_rest_as_off():
    v1 = Vocab.version(1)
    assert VOCAB.tokens[: len(v1)] == v1.tokens
    assert Vocab.from_tokens(v1.to_json()).tokens == v1.tokens and Vocab.from_tokens(VOCAB.to_json()).table == FIELDS
    p = settings.parse("Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\n"
                       "Filter Cutoff: 500Hz\nADSR Envelope: Attack: 0ms, Decay: 1.00s, Sustain: 0 dB, "
                       "Release: 1.00s\nLFO Modulation: None\nFilter Resonance: 0.5\nNoise: -12 dB\n")
    ids = v1.encode(p)
    assert len(ids) == 15 and ids == VOCAB.encode(p)[:14] + [EOS]
    assert v1.decode(ids) == VOCAB.decode(VOCAB.encode(p)).replace(resonance=0.0, noise=float("-inf"))
    with pytest.raises(SettingsError):
        Vocab.from_tokens(v1.to_json()[:-1])
