"""ePayment emulator: webhook deliveries late, twice, out of order and lost (delivery.py; API.md 10.4),
drawn from ``faults.rng`` so that a seeded run repeats itself."""

import random
import time

from mobilepay.epayment.emulator import EPaymentEmulatorSettings

EVENTS = ["epayments.payment.created.v1", "epayments.payment.authorized.v1"]


def _names(receiver):
    return [b["name"] for b in receiver.bodies()]


def _seed_where(predicate):
    """The first seed whose draws satisfy ``predicate(random.Random(seed))``."""
    return next(seed for seed in range(10_000) if predicate(random.Random(seed)))


def test_chaos_is_off_by_default():
    for settings in (EPaymentEmulatorSettings(), EPaymentEmulatorSettings.for_tests()):
        assert settings.webhook_delay_s == (0.0, 0.0) and settings.webhook_keep_order
        assert settings.webhook_duplicate_probability == settings.webhook_loss_probability == 0.0


def test_a_lost_delivery_is_recorded_and_never_sent(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_loss_probability = 1.0
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, EVENTS)
    reference = epayment_api.create_payment()
    epayment_emulator.settings.webhook_loss_probability = 0.0
    epayment_emulator.approve(reference)  # the next event of the payment is not held back by the lost one
    epayment_emulator.wait_for_deliveries(1)
    time.sleep(0.1)
    assert _names(receiver) == ["AUTHORIZED"]
    lost = epayment_emulator.deliveries[0]
    assert (lost["event"], lost["status"], lost["error"], lost["attempt"]) == (EVENTS[0], None, "lost", 0)
    epayment_emulator.redeliver(0)  # a test can still send it
    receiver.wait_for(2)
    assert _names(receiver) == ["AUTHORIZED", "CREATED"]


def test_late_deliveries_keep_their_order(epayment_api, epayment_emulator, webhook_receiver):
    epayment_emulator.settings.webhook_delay_s = (0.3, 0.4)
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, EVENTS)
    started = time.monotonic()
    reference = epayment_api.create_payment()
    epayment_emulator.approve(reference)
    receiver.wait_for(2)
    assert time.monotonic() - started >= 0.3
    assert _names(receiver) == ["CREATED", "AUTHORIZED"]


def _created_then_authorized(epayment_api, epayment_emulator, receiver, seed):
    epayment_emulator.faults.rng.seed(seed)
    reference = epayment_api.create_payment()
    epayment_emulator.approve(reference)
    receiver.wait_for(2)
    return _names(receiver)


def test_without_order_a_later_event_overtakes_an_earlier_one(epayment_api, epayment_emulator, webhook_receiver):
    # A seed whose first delay (CREATED) is longer than the second (AUTHORIZED) by more than 0.3 s.
    seed = _seed_where(lambda rng: rng.uniform(0.0, 0.6) - rng.uniform(0.0, 0.6) > 0.3)
    epayment_emulator.settings.webhook_delay_s = (0.0, 0.6)
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, EVENTS)
    assert _created_then_authorized(epayment_api, epayment_emulator, receiver, seed) == ["CREATED", "AUTHORIZED"]
    epayment_emulator.settings.webhook_keep_order = False
    receiver.received.clear()
    assert _created_then_authorized(epayment_api, epayment_emulator, receiver, seed) == ["AUTHORIZED", "CREATED"]


def test_duplicates_with_a_probability_repeat_with_the_seed(epayment_api, epayment_emulator, webhook_receiver):
    seed = _seed_where(lambda rng: 2 <= sum(rng.random() < 0.5 for _ in range(6)) <= 4)
    rng = random.Random(seed)
    pattern = [rng.random() < 0.5 for _ in range(6)]  # ``pattern[i]``: the i-th delivery is sent twice
    for _run in range(2):
        epayment_emulator.reset()
        epayment_emulator.settings.webhook_duplicate_probability = 0.5
        epayment_emulator.faults.rng.seed(seed)
        receiver = webhook_receiver()
        epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
        references = [epayment_api.create_payment() for _ in range(6)]
        epayment_emulator.wait_for_deliveries(6 + sum(pattern))
        time.sleep(0.1)
        counts = [[b["reference"] for b in receiver.bodies()].count(r) for r in references]
        assert counts == [2 if twice else 1 for twice in pattern]
        assert sum(d["duplicate"] for d in epayment_emulator.deliveries) == sum(pattern)


def test_losses_with_a_probability_repeat_with_the_seed(epayment_api, epayment_emulator, webhook_receiver):
    seed = _seed_where(lambda rng: 1 <= sum(rng.random() < 0.5 for _ in range(6)) <= 5)
    rng = random.Random(seed)
    lost = [rng.random() < 0.5 for _ in range(6)]
    epayment_emulator.settings.webhook_loss_probability = 0.5
    epayment_emulator.faults.rng.seed(seed)
    receiver = webhook_receiver()
    epayment_api.register_webhook(receiver.url, ["epayments.payment.created.v1"])
    references = [epayment_api.create_payment() for _ in range(6)]
    epayment_emulator.wait_for_deliveries(6 - sum(lost))
    delivered = {b["reference"] for b in receiver.bodies()}
    assert [r not in delivered for r in references] == lost
    assert [d["error"] for d in epayment_emulator.deliveries].count("lost") == sum(lost)


def test_chaos_settings_over_http(epayment_api, epayment_emulator):
    def update(values):
        return epayment_api.control("POST", "/emulator/settings", values).status_code

    assert update({"webhook_delay_s": [0.1, 0.5], "webhook_duplicate_probability": 0.25,
                   "webhook_loss_probability": 0.1, "webhook_keep_order": False}) == 200
    settings = epayment_emulator.settings
    assert settings.webhook_delay_s == (0.1, 0.5) and not settings.webhook_keep_order
    assert (settings.webhook_duplicate_probability, settings.webhook_loss_probability) == (0.25, 0.1)
    for bad in ({"webhook_delay_s": [0.5, 0.1]}, {"webhook_delay_s": [0.1]}, {"webhook_loss_probability": 1.5},
                {"webhook_duplicate_probability": -0.1}, {"webhook_keep_order": "no"}):
        assert update(bad) == 400, bad
