"""pollDelayInMs in the polled answers and the early-poll counter (API.md section 11.3)."""

import time


def test_poll_delays_are_in_the_answers(api, emulator):
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    assert api.payment(payment_id)["pollDelayInMs"] == 50
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["pollDelayInMs"] == 50
    emulator.settings.payment_poll_delay_ms = 1000
    emulator.settings.checkin_poll_delay_ms = 700
    assert api.payment(payment_id)["pollDelayInMs"] == 1000
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["pollDelayInMs"] == 700


def test_polls_that_respect_the_delay_are_not_counted(api, emulator):
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    for _ in range(3):
        delay = api.payment(payment_id)["pollDelayInMs"]
        time.sleep(delay / 1000.0)
        delay = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["pollDelayInMs"]
        time.sleep(delay / 1000.0)
    assert emulator.early_polls == 0


def test_early_polls_are_counted_per_resource_and_integrator(api, emulator):
    emulator.settings.payment_poll_delay_ms = 1000  # back-to-back polls are surely early
    emulator.settings.checkin_poll_delay_ms = 1000
    pos_id = api.create_pos()
    payment_id = api.initiate(pos_id)
    for _ in range(3):
        api.payment(payment_id)  # the 2nd and 3rd are early
    assert emulator.early_polls == 2
    # Another payment's first poll is not early.
    api.post(f"/pos/v10/payments/{payment_id}/cancel")
    other = api.initiate(pos_id)
    api.payment(other)
    assert emulator.early_polls == 2
    api.get(f"/pos/v10/pointofsales/{pos_id}/checkin")
    api.get(f"/pos/v10/pointofsales/{pos_id}/checkin")
    assert emulator.early_polls == 3
    # Another integrator is counted on its own.
    emulator.add_integrator("other-integrator", "secret-2")
    other_token = api.token("other-integrator", "secret-2")
    body = {"merchantPosId": "other-till", "storeId": api.store_id, "name": "T", "supportedBeaconTypes": ["QR"]}
    other_pos = api.create("/pos/v10/pointofsales", body, token=other_token).json()["posId"]
    for _ in range(2):
        api.get(f"/pos/v10/pointofsales/{other_pos}/checkin", token=other_token)
    stats = api.http.get(api.base + "/emulator/stats").json()
    assert stats["earlyPolls"] == 4
    assert stats["earlyPollsByResource"] == {f"payment:{payment_id}": 2, f"checkin:{pos_id}": 1,
                                             f"checkin:{other_pos}": 1}
    assert stats["earlyPollsByIntegrator"] == {api.client_id: 3, "other-integrator": 1}


def test_refund_polls(api, emulator):
    refund_id = api.refund(api.captured_payment(), 5)
    body = api.get(f"/pos/v10/refunds/{refund_id}").json()
    assert body["pollDelayInMs"] == 20
    time.sleep(0.03)
    api.refund_status(refund_id)
    assert emulator.early_polls == 0
    emulator.settings.refund_poll_delay_ms = 1000
    time.sleep(0.03)  # the last answer still said 20 ms
    api.refund_status(refund_id)
    api.refund_status(refund_id)
    assert emulator.early_polls == 1


def test_tolerance(api, emulator):
    emulator.settings.early_poll_tolerance_ms = 1000
    payment_id = api.initiate(api.create_pos())
    api.payment(payment_id)
    api.payment(payment_id)
    assert emulator.early_polls == 0
