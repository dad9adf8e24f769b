import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from strategies import patches

from whispersynth import settings, spec
from whispersynth.spec import FIELDS, Patch, SettingsError, off_value

SEEDS = [
    """Waveform: Sine
Voices: 1
Oscillator Detune: None
Filter Type: Highpass
Filter Cutoff: 3000Hz
ADSR Envelope: Attack: 400ms, Decay: 900ms, Sustain: -12 dB, Release: 600ms
LFO Modulation: None
""",
    """Waveform: Saw
Voices: 3
Oscillator Detune: 0.10
Filter Type: N/A
Filter Cutoff: N/A
ADSR Envelope: Attack: 300ms, Decay: 1.00s, Sustain: -12 dB, Release: 500ms
LFO Modulation: None
""",
    """Waveform: Square
Voices: 1
Oscillator Detune: None
Filter Type: N/A
Filter Cutoff: N/A
ADSR Envelope: Attack: 150ms, Decay: 1.50s, Sustain: -3 dB, Release: 200ms
LFO Modulation: None
""",
    """Waveform: Square
Voices: 1
Oscillator Detune: None
Filter Type: Bandpass
Filter Cutoff: 368Hz
ADSR Envelope: Attack: 244ms, Decay: 583ms, Sustain: -0.6 dB, Release: 894ms
LFO Modulation: None
""",
]

FULL = """Waveform: Square
Voices: 3
Oscillator Detune: 0.10
Filter Type: Bandpass
Filter Cutoff: 368Hz
ADSR Envelope: Attack: 244ms, Decay: 1.50s, Sustain: -0.6 dB, Release: 894ms
LFO Modulation: Filter Cutoff, Rate: 2.5Hz, Depth: 12 st
Note: A3, Length: 2.00s
"""


@pytest.mark.parametrize("text", SEEDS)
def test_seed_examples_round_trip_byte_identical(text):
    patch = settings.parse(text)
    assert settings.format(patch, note=False) == text
    assert patch.note == 60 and patch.length == 2.0  # absent Note line: C4 held 2.00 s


def test_full_example_values_and_round_trip():
    p = settings.parse(FULL)
    assert (p.waveform, p.voices, p.detune, p.filter_type, p.cutoff) == ("Square", 3, 0.10, "Bandpass", 368)
    assert (p.attack, p.decay, p.sustain, p.release) == (0.244, 1.5, -0.6, 0.894)
    assert (p.lfo_target, p.lfo_rate, p.lfo_depth) == ("Filter Cutoff", 2.5, 12.0)
    assert (p.note, p.length) == (57, 2.0)  # A3 = MIDI 57
    assert settings.format(p) == FULL


@given(patches())
@hsettings(max_examples=300, deadline=None)
def test_parse_format_round_trip_property(patch):
    text = settings.format(patch)
    assert settings.parse(text) == patch
    assert settings.format(settings.parse(text)) == text


def test_lenient_reading_loses_nothing():
    messy = (
        "\ufeffwaveform:  SQUARE \r\nVOICES: 3\r\noscillator detune: 0.1\r\n\r\nfilter type: bandpass\r\n"
        "Filter Cutoff: 368 hz\r\nADSR Envelope: attack: 0.244s, decay: 1500ms, sustain: -0.6 db, "
        "release: 894 ms\r\nLFO Modulation: filter cutoff, rate: 2.50 Hz, depth: 12.0 ST\r\n"
        "note: a3, length: 2000ms\r\n"
    )
    assert settings.format(settings.parse(messy)) == FULL
    assert settings.parse(messy.encode("utf-8")) == settings.parse(FULL)


def test_finer_values_round_to_the_grid():
    text = FULL.replace("244ms", "244.4ms").replace("-0.6 dB", "-0.64 dB").replace("1.50s", "1234ms")
    p = settings.parse(text)
    assert (p.attack, p.sustain, p.decay) == (0.244, -0.6, 1.23)


def test_minus_inf_sustain_and_other_units():
    p = settings.parse(FULL.replace("-0.6 dB", "-inf dB").replace("Filter Cutoff, Rate: 2.5Hz, Depth: 12 st",
                                                                   "Volume, Rate: 0.25Hz, Depth: 6.5 dB"))
    assert p.sustain == -math.inf and (p.lfo_target, p.lfo_rate, p.lfo_depth) == ("Volume", 0.25, 6.5)
    assert "Sustain: -inf dB" in settings.format(p)
    assert "LFO Modulation: Volume, Rate: 0.25Hz, Depth: 6.5 dB" in settings.format(p)


def test_note_names_sharps_and_extremes():
    for name, midi in [("C-1", 0), ("C#4", 61), ("G9", 127), ("B3", 59)]:
        p = settings.parse(FULL.replace("A3", name))
        assert p.note == midi
        assert f"Note: {name}," in settings.format(p)


def _replace_line(label: str, new: str | None) -> str:
    lines = [(new if ln.startswith(label + ":") else ln) for ln in FULL.splitlines()]
    return "\n".join(ln for ln in lines if ln is not None) + "\n"


V2_NO_FILTER = FULL.replace("Bandpass", "N/A").replace("368Hz", "N/A").replace(
    "Filter Cutoff, Rate: 2.5Hz, Depth: 12 st", "None")
OSC2 = "Oscillator 2: Sine, Semitones: 19, Level: -60 dB\n"
FENV = "Filter Envelope: Amount: +24 st, Attack: 0ms, Decay: 250ms, Sustain: -inf dB, Release: 200ms\n"
V2_FULL = FULL + """Filter Resonance: 0.40
Filter Envelope: Amount: +24 st, Attack: 0ms, Decay: 250ms, Sustain: -inf dB, Release: 200ms
Oscillator 2: Saw, Semitones: -12, Level: -6 dB
Noise: -24 dB
Pitch Envelope: Amount: +12 st, Decay: 40ms
"""


def test_version_3_lines_values_round_trip_and_off_lines_are_left_out():
    v3 = ("FM: Amount: 0.30\nDistortion: Sine Fold, Drive: 6.5 dB, Mix: 75%\nChorus: Rate: 0.8Hz, Depth: 50%, Mix: 40%\n"
          "Delay: Time: 375ms, Feedback: 35%, Mix: 20%\nReverb: Decay: 4.00s, Size: 80%, Damping: 30%, Mix: 35%\n")
    p = settings.parse(FULL + OSC2 + v3)
    assert (p.fm_amount, p.dist_type, p.dist_drive, p.dist_mix) == (0.3, "Sine Fold", 6.5, 75)
    assert (p.chorus_rate, p.chorus_depth, p.delay_time, p.delay_feedback) == (0.8, 50, 0.375, 35)
    assert (p.reverb_decay, p.reverb_size, p.reverb_damping, p.reverb_mix) == (4.0, 80, 30, 35)
    assert settings.format(p) == FULL + OSC2 + v3
    dry = p.replace(**{f.name: None for f in spec.FIELDS if f.version == 3})
    assert settings.format(dry) == FULL + OSC2  # off lines are left out
    assert settings.parse(FULL + OSC2 + "FM: off\nDistortion: OFF\nReverb: Off\n") == dry
    lenient = settings.parse(FULL + OSC2 + "fm: amount: .3\ndistortion: sine fold, drive: +6.54 db, mix: 75 %\n")
    assert (lenient.fm_amount, lenient.dist_drive, lenient.dist_mix) == (0.3, 6.5, 75)


def test_version_2_lines_values_round_trip_and_off_lines_are_left_out():
    p = settings.parse(V2_FULL)
    assert (p.resonance, p.fenv_amount, p.fenv_decay, p.fenv_sustain) == (0.4, 24.0, 0.25, -math.inf)
    assert (p.osc2_wave, p.osc2_semitones, p.osc2_level, p.noise) == ("Saw", -12, -6.0, -24.0)
    assert (p.penv_amount, p.penv_decay) == (12.0, 0.04)
    assert settings.format(p) == V2_FULL
    off = p.replace(resonance=0.0, noise=-math.inf, penv_amount=None, penv_decay=None)
    assert settings.format(off) == FULL + V2_FULL.splitlines(keepends=True)[9] + V2_FULL.splitlines(keepends=True)[10]
    assert settings.parse(FULL) == settings.parse(FULL + "Filter Envelope: off\nNoise: -inf dB\n")
    lenient = settings.parse(FULL + "filter envelope: amount: 24st, attack: 0 ms, decay: 0.25s, sustain: -INF db, "
                             "release: 200ms\nOSCILLATOR 2: saw, semitones: -12 st, level: -6db\n")
    assert lenient == settings.parse(FULL + FENV + "Oscillator 2: Saw, Semitones: -12, Level: -6 dB\n")
    assert settings.format(p.replace(fenv_amount=-7.25, penv_amount=0.0)).count(" -7.2 st,") + \
        settings.format(p.replace(fenv_amount=-7.25, penv_amount=0.0)).count("Amount: 0 st, Decay") == 2


BAD = [
    ("missing line", _replace_line("Voices", None), "missing line 'Voices'"),
    ("unknown line", FULL + "Phaser: lots\n", "line 9: unknown line 'Phaser'"),
    ("repeated line", FULL.replace("Voices: 3\n", "Voices: 3\nVoices: 3\n"), "'Voices' is repeated"),
    ("bad number", FULL.replace("Voices: 3", "Voices: three"), "line 2 (Voices): expected a whole number"),
    ("bad time", FULL.replace("244ms", "244 parsecs"), "line 6 (ADSR Envelope): expected a time"),
    ("out of range", FULL.replace("Voices: 3", "Voices: 17"), "line 2 (Voices): voices: 17 is out of range 1..16"),
    ("cutoff range", FULL.replace("368Hz", "25000Hz"), "out of range 20..20000"),
    ("positive sustain", FULL.replace("-0.6 dB", "3 dB"), "out of range"),
    ("depth range", FULL.replace("12 st", "50 st"), "out of range 0..48"),
    ("depth unit", FULL.replace("12 st", "12 dB"), "expected a depth in st"),
    ("detune with one voice", FULL.replace("Voices: 3", "Voices: 1"), "0.10 given with one voice; expected None"),
    ("detune missing", FULL.replace("0.10", "None"), "None with 3 voices"),
    ("cutoff without filter", FULL.replace("Bandpass", "N/A").replace("Filter Cutoff, Rate", "Pitch, Rate"),
     "368Hz given without a filter"),
    ("filter without cutoff", FULL.replace("368Hz", "N/A"), "N/A with a Bandpass filter"),
    ("lfo on cutoff without filter", FULL.replace("Bandpass", "N/A").replace("368Hz", "N/A"),
     "an LFO on Filter Cutoff needs a filter"),
    ("wrong part count", FULL.replace(", Release: 894ms", ""), "expected 4 comma-separated parts"),
    ("wrong sub-label", FULL.replace("Decay:", "Delay:"), "expected 'Decay: …'"),
    ("flat note", FULL.replace("A3", "Bb3"), "no flats"),
    ("out of order", FULL.replace("Waveform: Square\nVoices: 3\n", "Voices: 3\nWaveform: Square\n"),
     "out of order"),
    ("empty", "", "empty settings"),
    ("whitespace only", "  \n\n", "empty settings"),
    ("binary junk", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
    ("control bytes", "Waveform: Sine\x00\x01\n", "binary data"),
    ("unknown waveform", FULL.replace("Square", "Noise"), "expected one of Sine, Triangle, Saw, Square"),
    ("resonance range", FULL + "Filter Resonance: 1.5\n", "line 9 (Filter Resonance): resonance: 1.5 is out of range 0..1"),
    ("resonance without filter", V2_NO_FILTER + "Filter Resonance: 0.50\n",
     "Filter Resonance: given without Filter Type (it is N/A)"),
    ("filter envelope without filter", V2_NO_FILTER + FENV, "Filter Envelope: given without Filter Type"),
    ("filter envelope part off", FULL + FENV.replace("Decay: 250ms", "Decay: Off"), "'Off' is not allowed here"),
    ("filter envelope amount range", FULL + FENV.replace("+24 st", "+80 st"), "out of range -72..72"),
    ("filter envelope amount unit", FULL + FENV.replace("+24 st", "+24 dB"), "expected semitones like +12 st"),
    ("oscillator 2 parts", FULL + "Oscillator 2: Saw, Semitones: -12\n", "expected 3 comma-separated parts"),
    ("oscillator 2 level", FULL + "Oscillator 2: Saw, Semitones: -12, Level: 9 dB\n", "out of range -60..6"),
    ("oscillator 2 interval", FULL + "Oscillator 2: Saw, Semitones: 1.5, Level: 0 dB\n", "expected a whole number"),
    ("noise range", FULL + "Noise: 3 dB\n", "out of range -60..0"),
    ("version-2 lines in order", FULL + "Noise: -12 dB\n" + FENV, "'Noise' is out of order"),
    ("pitch envelope range", FULL + "Pitch Envelope: Amount: +60 st, Decay: 40ms\n", "out of range -48..48"),
    ("fm without oscillator 2", FULL + "FM: Amount: 0.30\n", "FM: given without Oscillator 2 (it is N/A)"),
    ("fm range", FULL + OSC2 + "FM: Amount: 1.5\n", "out of range 0..1"),
    ("distortion parts", FULL + "Distortion: Soft Clip, Drive: 12 dB\n", "expected 3 comma-separated parts"),
    ("distortion type", FULL + "Distortion: Tube, Drive: 12 dB, Mix: 50%\n", "expected one of Soft Clip, Hard Clip"),
    ("percent range", FULL + "Chorus: Rate: 1Hz, Depth: 120%, Mix: 50%\n", "out of range 0..100"),
    ("percent unit", FULL + "Chorus: Rate: 1Hz, Depth: 50, Mix: 50%\n", "expected a percentage like 40%"),
    ("delay feedback range", FULL + "Delay: Time: 300ms, Feedback: 99%, Mix: 20%\n", "out of range 0..95"),
    ("delay time range", FULL + "Delay: Time: 5.00s, Feedback: 40%, Mix: 20%\n", "out of range 0.002..4"),
    ("reverb part off", FULL + "Reverb: Decay: 2.00s, Size: Off, Damping: 10%, Mix: 20%\n", "'Off' is not allowed here"),
    ("version-3 lines in order", FULL + "Reverb: Decay: 2.00s, Size: 50%, Damping: 10%, Mix: 20%\n"
     "Chorus: Rate: 1Hz, Depth: 50%, Mix: 50%\n", "'Reverb' is out of order"),
]


@pytest.mark.parametrize("name,text,message", BAD, ids=[b[0] for b in BAD])
def test_malformed_input_names_line_and_expectation(name, text, message):
    with pytest.raises(SettingsError) as err:
        settings.parse(text)
    assert message in str(err.value)


def test_patch_snaps_to_grid_and_validates():
    p = Patch("Saw", 2, 0.123, "Lowpass", 1000.4, 0.0004, 1.234, -3.04, 0.9996, None, None, None)
    assert (p.detune, p.cutoff, p.attack, p.decay, p.sustain, p.release) == (0.12, 1000, 0.0, 1.23, -3.0, 1.0)
    with pytest.raises(SettingsError, match="out of range"):
        p.replace(attack=11.0)
    with pytest.raises(SettingsError, match="needs a filter"):
        p.replace(filter_type=None, cutoff=None, lfo_target="Filter Cutoff", lfo_rate=1.0, lfo_depth=3.0)


def test_load_reports_file_and_size(tmp_path):
    good = tmp_path / "a.txt"
    good.write_text(FULL)
    assert settings.load(good) == settings.parse(FULL)
    with pytest.raises(SettingsError, match="cannot read"):
        settings.load(tmp_path / "missing.txt")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (settings.MAX_BYTES + 1))
    with pytest.raises(SettingsError, match="too large"):
        settings.load(big)


# ---------------------------------------------------------------- bad input, tried systematically

# Characters the format is made of, so random text often gets past the first checks.
FORMAT_CHARS = "".join(sorted(set(FULL) | set("0123456789#-+.,:/ \t\r\n") | set("nNaAiIfF∞½ßǅ३")))
junk = st.one_of(st.text(max_size=20), st.text(alphabet=FORMAT_CHARS, max_size=20))


def _parsed_or_refused(text):
    """parse gives a Patch that round-trips, or SettingsError with a one-line message; None then."""
    try:
        patch = settings.parse(text)
    except SettingsError as e:
        assert str(e) and "\n" not in str(e) and "\r" not in str(e)
        return None
    written = settings.format(patch)
    assert settings.parse(written) == patch
    assert settings.format(settings.parse(written)) == written
    return patch


def _replace_value(draw, line: str) -> str:
    """One value of the line (after its label, or after a part's 'Attack:') becomes junk."""
    label, _, rest = line.partition(": ")
    parts = rest.split(", ")
    k = draw(st.integers(0, len(parts) - 1))
    head, sep, _ = parts[k].rpartition(": ")
    parts[k] = head + sep + draw(junk)
    return f"{label}: {', '.join(parts)}"


def _huge_number(draw, line: str) -> str:
    """The line's first number (or its whole value) becomes hundreds or thousands of digits:
    a float of them is inf, an int of over 4300 digits is refused by Python."""
    label, _, rest = line.partition(": ")
    digits = "9" * draw(st.sampled_from([309, 400, 5000]))
    value = re.sub(r"\d+(\.\d+)?", digits, rest, count=1)
    return f"{label}: {value if value != rest else digits}"


def _one_line(change):
    """A mutation that rewrites line i only."""
    return lambda draw, lines, i: [*lines[:i], change(draw, lines[i]), *lines[i + 1 :]]


MUTATIONS = {
    "delete": lambda draw, lines, i: lines[:i] + lines[i + 1 :],
    "duplicate": lambda draw, lines, i: lines[: i + 1] + lines[i:],
    "swap": lambda draw, lines, i: _swapped(lines, i, draw(st.integers(0, len(lines) - 1))),
    "replace value": _one_line(_replace_value),
    "huge number": _one_line(_huge_number),
    "truncate": _one_line(lambda draw, line: line[: draw(st.integers(0, len(line) - 1))]),
    "insert": _one_line(lambda draw, line: _inserted(line, draw(st.integers(0, len(line))), draw(junk))),
    "case": _one_line(lambda draw, line: draw(st.sampled_from([str.upper, str.lower, str.swapcase, str.title]))(line)),
}


def _swapped(lines: list[str], i: int, j: int) -> list[str]:
    out = list(lines)
    out[i], out[j] = out[j], out[i]
    return out


def _inserted(line: str, at: int, text: str) -> str:
    return line[:at] + text + line[at:]


@st.composite
def mutated(draw):
    """(a valid patch, the mutation's name, its text with one line mutated)."""
    patch = draw(patches())
    lines = settings.format(patch).splitlines()
    name = draw(st.sampled_from(sorted(MUTATIONS)))
    i = draw(st.integers(0, len(lines) - 1))
    return patch, name, lines[i], "\n".join(MUTATIONS[name](draw, lines, i)) + "\n"


@given(mutated())
@hsettings(max_examples=400, deadline=None, derandomize=True)
def test_one_mutated_line_is_refused_or_round_trips(case):
    patch, name, line, text = case
    got = _parsed_or_refused(text)
    later = {f.line for f in FIELDS if f.version >= 2}
    label = line.partition(":")[0]
    if name == "delete" and label in later:  # an absent version-2 or -3 line is off...
        try:
            want = patch.replace(**{f.name: off_value(f) for f in FIELDS if f.line == label})
        except SettingsError:  # ...unless a line after it needs it (FM needs Oscillator 2)
            want = None
        assert got == want
    if name == "delete" and not line.startswith("Note:") and label not in later:
        assert got is None  # every other line is required
    if name == "delete" and line.startswith("Note:"):
        assert got == patch.replace(note=60, length=2.0)  # the Note line's defaults
    if name == "duplicate" or (name == "swap" and text != settings.format(patch)):
        assert got is None
    if name == "case":
        assert got == patch  # reading is case-insensitive
    if name == "huge number":
        assert got is None  # no field's range reaches 10**309


@given(st.one_of(junk, st.lists(junk, max_size=10).map("\n".join),
                 st.lists(st.sampled_from(FULL.splitlines()) | junk, max_size=10).map("\n".join)))
@hsettings(max_examples=300, deadline=None, derandomize=True)
def test_random_text_is_refused_or_round_trips(text):
    _parsed_or_refused(text)


# raw bytes, a valid file cut and followed by junk, and the text in encodings other than UTF-8
encoded = st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]).map(lambda c: FULL.replace("A3", "Á3").encode(c))


@given(st.one_of(st.binary(max_size=200), st.binary(max_size=20).map(lambda b: FULL.encode()[:150] + b), encoded))
@hsettings(max_examples=200, deadline=None, derandomize=True,
           suppress_health_check=[HealthCheck.function_scoped_fixture])  # one file, rewritten each time
def test_random_bytes_load_as_parse_reads_them(tmp_path, data):
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    expected = _parsed_or_refused(data)
    if expected is None:
        with pytest.raises(SettingsError) as err:
            settings.load(path)
        assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)
    else:
        assert settings.load(path) == expected


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_load_refuses_folders_pipes_and_devices_before_reading(kind, tmp_path, no_hang):
    path = {"folder": tmp_path, "fifo": tmp_path / "in.txt", "device": Path("/dev/null")}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    with no_hang(5), pytest.raises(SettingsError, match="cannot read") as err:
        settings.load(path)  # opening a FIFO would wait for a writer forever
    assert ("a folder" if kind == "folder" else "not a regular file") in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_load_names_an_unreadable_file(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text(FULL)
    path.chmod(0)
    with pytest.raises(SettingsError, match="cannot read .Permission denied"):
        settings.load(path)
