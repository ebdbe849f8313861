"""Thread safety: several clients at once keep every rule intact."""

import threading
import uuid
from collections import Counter

import requests

THREADS = 8


def _session():
    session = requests.Session()
    session.trust_env = False
    return session


def _run(threads):
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)


def test_concurrent_initiates_on_one_pos_give_one_active_payment(api, emulator):
    pos_id = api.create_pos()
    headers = api.headers()
    statuses = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def initiate():
        session = _session()
        barrier.wait()
        response = session.post(api.base + "/pos/v10/payments", timeout=10, headers=dict(
            headers, **{"X-MobilePay-Idempotency-Key": str(uuid.uuid4())}), json={
            "posId": pos_id, "orderId": "o", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None"})
        with lock:
            statuses.append((response.status_code, response.json().get("code")))

    _run([threading.Thread(target=initiate) for _ in range(THREADS)])
    assert Counter(statuses) == Counter({(200, None): 1, (409, "1301"): THREADS - 1})
    assert len(api.get("/pos/v10/payments", params={"posId": pos_id}).json()["paymentIds"]) == 1


def test_concurrent_retries_with_one_key_create_one_payment(api, emulator):
    pos_id = api.create_pos()
    headers = dict(api.headers(), **{"X-MobilePay-Idempotency-Key": str(uuid.uuid4())})
    answers = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def initiate():
        session = _session()
        barrier.wait()
        response = session.post(api.base + "/pos/v10/payments", timeout=10, headers=headers, json={
            "posId": pos_id, "orderId": "o", "amount": 1, "currencyCode": "DKK", "plannedCaptureDelay": "None"})
        with lock:
            answers.append((response.status_code, response.text))

    _run([threading.Thread(target=initiate) for _ in range(THREADS)])
    assert len(set(answers)) == 1 and answers[0][0] == 200


def test_many_clients_running_whole_payment_flows(api, emulator):
    headers = api.headers()
    errors = []
    captured = []
    lock = threading.Lock()

    def flow(worker):
        session = _session()
        try:
            pos = session.post(api.base + "/pos/v10/pointofsales", timeout=10, headers=dict(
                headers, **{"X-MobilePay-Idempotency-Key": str(uuid.uuid4())}), json={
                "merchantPosId": f"worker-{worker}", "storeId": api.store_id, "name": f"Till {worker}",
                "supportedBeaconTypes": ["QR"]}).json()["posId"]
            beacon = session.get(f"{api.base}/pos/v10/pointofsales/{pos}", headers=headers, timeout=10).json()[
                "beaconId"]
            for round_ in range(5):
                payment = session.post(api.base + "/pos/v10/payments", timeout=10, headers=dict(
                    headers, **{"X-MobilePay-Idempotency-Key": str(uuid.uuid4())}), json={
                    "posId": pos, "orderId": f"{worker}-{round_}", "amount": 10 + round_, "currencyCode": "DKK",
                    "plannedCaptureDelay": "None"}).json()["paymentId"]
                for action in ("checkin", "acceptpayment"):
                    answer = session.post(f"{api.base}/pos/app/usersimulation/{action}", timeout=10,
                                          json={"beaconId": beacon, "phoneNumber": "+4520031801"})
                    assert answer.status_code == 200, answer.text
                answer = session.post(f"{api.base}/pos/v10/payments/{payment}/capture", headers=headers,
                                      json={"amount": 10 + round_}, timeout=10)
                assert answer.status_code == 200, answer.text
                with lock:
                    captured.append(payment)
        except Exception as exc:  # collected and reported by the main thread
            with lock:
                errors.append(repr(exc))

    _run([threading.Thread(target=flow, args=(n,)) for n in range(THREADS)])
    assert errors == []
    assert len(captured) == len(set(captured)) == THREADS * 5
    statuses = {p.payment_id: p.status.value for p in emulator.state.payments.values()}
    assert all(statuses[p] == "Captured" for p in captured)
    assert len(emulator.requests_log) >= THREADS * (2 + 5 * 4)
