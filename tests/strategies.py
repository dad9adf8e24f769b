"""Hypothesis strategies for valid patches on the format's grid, built from the spec."""

from hypothesis import strategies as st

from whispersynth.spec import FIELD, LFO_DEPTH_RANGE, Patch

times = st.one_of(st.integers(0, 999).map(lambda ms: ms / 1000), st.integers(100, 1000).map(lambda cs: cs / 100))
sustains = st.one_of(st.just(float("-inf")), st.integers(-1200, 0).map(lambda t: t / 10))


@st.composite
def patches(draw) -> Patch:
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
    )
