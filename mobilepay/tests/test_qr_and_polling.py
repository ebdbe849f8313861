"""QR payloads and the poll gate."""

from datetime import datetime, timedelta

import pytest

from mobilepay import qr
from mobilepay.polling import PollGate, next_poll_at, wait_until


def test_checkin_payload_is_lowercase_from_the_beacon_id():
    assert (
        qr.checkin_payload("CD851CD7-8398-4A03-83C1-391A2F5CB71C")
        == "mobilepaypos://pos?id=cd851cd7-8398-4a03-83c1-391a2f5cb71c&source=qr"
    )
    assert qr.checkin_payload("123456789012345") == "mobilepaypos://pos?id=123456789012345&source=qr"


def test_checkin_payload_refuses_what_is_not_a_beacon_id():
    with pytest.raises(ValueError):
        qr.checkin_payload("pos-1")


def test_svg_and_png_render():
    payload = qr.checkin_payload("123456789012345")
    svg = qr.qr_svg(payload)
    assert svg.startswith("<svg") and "<path" in svg
    png = qr.qr_png(payload)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert qr.svg_data_uri(payload).startswith("data:image/svg+xml;base64,")


def test_png_decodes_back_to_the_payload_size():
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(qr.qr_png("mobilepaypos://pos?id=123456789012345&source=qr", box_size=4)))
    assert image.size[0] == image.size[1] and image.size[0] >= 21 * 4


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_poll_gate_waits_for_the_last_delay():
    t = FakeTime()
    gate = PollGate(clock=t.clock, sleep=t.sleep)
    assert gate.wait("p") == 0
    gate.record("p", 1000)
    t.now += 0.25
    assert gate.remaining("p") == pytest.approx(0.75)
    gate.wait("p")
    assert t.slept == [pytest.approx(0.75)]
    assert gate.remaining("p") == 0
    assert gate.remaining("other") == 0


def test_poll_gate_never_shortens_a_delay():
    t = FakeTime()
    gate = PollGate(clock=t.clock, sleep=t.sleep)
    gate.record("p", 1000)
    gate.record("p", 100)
    assert gate.remaining("p") == pytest.approx(1.0)
    gate.forget("p")
    assert gate.remaining("p") == 0


def test_next_poll_at():
    start = datetime(2026, 1, 1, 12, 0, 0)
    assert next_poll_at(start, 1500) == start + timedelta(milliseconds=1500)
    assert next_poll_at(start, None) == start


def test_wait_until_stops_on_condition_or_timeout():
    t = FakeTime()
    answers = iter([1, 2, 3, 4])
    assert wait_until(lambda: next(answers), lambda a: a == 3, timeout=10, clock=t.clock) == 3

    def slow():
        t.now += 1
        return "pending"

    assert wait_until(slow, lambda a: False, timeout=3, clock=t.clock) == "pending"
