"""A one-note Standard MIDI File: program change, note-on at 0, note-off after `hold` s, end at `total` s."""
import struct


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def one_note(program: int, note: int, velocity: int, hold: float, total: float, bank: int = 0) -> bytes:
    ppq, tempo = 1000, 1_000_000  # 1000 ticks per quarter at 60 bpm: 1 tick = 1 ms
    ticks = lambda s: int(round(s * 1000))
    ev = b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big")
    ev += b"\x00\xb0\x00" + bytes([bank >> 7 & 0x7F]) + b"\x00\xb0\x20" + bytes([bank & 0x7F])  # bank select
    ev += b"\x00\xc0" + bytes([program])
    ev += b"\x00\x90" + bytes([note, velocity])
    ev += _vlq(ticks(hold)) + b"\x80" + bytes([note, 0])
    ev += _vlq(ticks(total) - ticks(hold)) + b"\xff\x2f\x00"  # end of track at `total`
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq) + b"MTrk" + struct.pack(">I", len(ev)) + ev
