"""Hypothesis strategies for valid patches on the format's grid, built from the spec."""

from hypothesis import strategies as st

from whispersynth.spec import FIELD, LFO_DEPTH_RANGE, Patch

times = st.one_of(st.integers(0, 999).map(lambda ms: ms / 1000), st.integers(100, 1000).map(lambda cs: cs / 100))
sustains = st.one_of(st.just(float("-inf")), st.integers(-1200, 0).map(lambda t: t / 10))
semitones = lambda top: st.integers(-top * 10, top * 10).map(lambda t: t / 10)  # noqa: E731
levels = lambda lo, hi: st.integers(lo * 10, hi * 10).map(lambda t: t / 10)  # noqa: E731


@st.composite
def version_2_lines(draw, filtered: bool) -> dict:
    """The version-2 fields: each line on or off (off as the format's defaults)."""
    out: dict = {}
    if filtered and draw(st.booleans()):
        out["resonance"] = draw(st.integers(0, 100)) / 100
    if filtered and draw(st.booleans()):
        out.update(fenv_amount=draw(semitones(72)), fenv_attack=draw(times), fenv_decay=draw(times),
                   fenv_sustain=draw(sustains), fenv_release=draw(times))
    if draw(st.booleans()):
        out.update(osc2_wave=draw(st.sampled_from(FIELD["osc2_wave"].choices)), osc2_semitones=draw(st.integers(-48, 48)),
                   osc2_level=draw(levels(-60, 6)))
    if draw(st.booleans()):
        out["noise"] = draw(levels(-60, 0))
    if draw(st.booleans()):
        out.update(penv_amount=draw(semitones(48)), penv_decay=draw(times))
    return out


@st.composite
def version_3_lines(draw, osc2: bool) -> dict:
    """The version-3 fields: each line on or off; FM only with oscillator 2."""
    out: dict = {}
    pct = lambda hi=100: st.integers(0, hi)  # noqa: E731
    if osc2 and draw(st.booleans()):
        out["fm_amount"] = draw(st.integers(0, 100)) / 100
    if draw(st.booleans()):
        out.update(dist_type=draw(st.sampled_from(FIELD["dist_type"].choices)), dist_drive=draw(levels(-30, 30)),
                   dist_mix=draw(pct()))
    if draw(st.booleans()):
        out.update(chorus_rate=draw(st.integers(2, 800)) / 100, chorus_depth=draw(pct()), chorus_mix=draw(pct()))
    if draw(st.booleans()):
        out.update(delay_time=draw(times.filter(lambda t: 0.002 <= t <= 4.0)), delay_feedback=draw(pct(95)),
                   delay_mix=draw(pct()))
    if draw(st.booleans()):
        out.update(reverb_decay=draw(times.filter(lambda t: t >= 0.1)), reverb_size=draw(pct()),
                   reverb_damping=draw(pct()), reverb_mix=draw(pct()))
    return out


@st.composite
def patches(draw, version: int = 3) -> Patch:
    voices = draw(st.integers(1, 16))
    filter_type = draw(st.sampled_from((None, *FIELD["filter_type"].choices)))
    targets = [t for t in LFO_DEPTH_RANGE if filter_type or t != "Filter Cutoff"]
    target = draw(st.sampled_from([None, *targets]))
    depth_hi = LFO_DEPTH_RANGE[target][1] if target else 0
    return Patch(
        waveform=draw(st.sampled_from(FIELD["waveform"].choices)),
        voices=voices,
        detune=None if voices == 1 else draw(st.integers(0, 100)) / 100,
        filter_type=filter_type,
        cutoff=draw(st.integers(20, 20000)) if filter_type else None,
        attack=draw(times),
        decay=draw(times),
        sustain=draw(sustains),
        release=draw(times),
        lfo_target=target,
        lfo_rate=draw(st.integers(1, 10000)) / 100 if target else None,
        lfo_depth=draw(st.integers(0, int(depth_hi * 10))) / 10 if target else None,
        note=draw(st.integers(0, 127)),
        length=draw(times),
        **(lines := draw(version_2_lines(filter_type is not None)) if version >= 2 else {}),
        **(draw(version_3_lines("osc2_wave" in lines)) if version >= 3 else {}),
    )
