"""The sandbox User Simulation API and the check-in rules (API.md sections 8.5, 9, 14)."""

import pytest

DK_USER = "+4520031801"
OTHER_USER = "+4520031803"


@pytest.fixture
def pos(api):
    pos_id = api.create_pos()
    return pos_id, api.beacon(pos_id)


def test_simulation_works_with_or_without_a_token(api, pos):
    pos_id, beacon = pos
    response = api.simulate("checkin", {"beaconId": beacon, "phoneNumber": DK_USER}, token=api.default_token)
    assert response.status_code == 200 and response.content == b""
    response = api.simulate("checkin", {"beaconId": beacon, "phoneNumber": DK_USER})
    assert response.status_code == 200
    response = api.simulate("checkin", {"beaconId": beacon, "phoneNumber": DK_USER}, token="bad.token.here")
    assert response.status_code == 401


def test_refusals(api, emulator, pos, error):
    pos_id, beacon = pos
    error(api.simulate("checkin", {"beaconId": "999999999999999", "phoneNumber": DK_USER}), 500, "2001")
    error(api.simulate("checkin", {"beaconId": beacon, "phoneNumber": "+4599999999"}), 500, "2002")
    error(api.simulate("acceptpayment", {"beaconId": beacon, "phoneNumber": DK_USER}), 500, "2003")
    error(api.simulate("cancelpaymentbyuser", {"beaconId": beacon}), 500, "2003")
    error(api.simulate("checkin", {"beaconId": "not a beacon", "phoneNumber": DK_USER}, check=False), 500, "2007")
    error(api.simulate("checkin", {"beaconId": beacon}, check=False), 500, "2007")
    payment_id = api.initiate(pos_id)
    error(api.simulate("acceptpayment", {"beaconId": beacon, "phoneNumber": DK_USER}), 500, "2003")  # not issued
    api.checkin(beacon, DK_USER)
    error(api.simulate("acceptpayment", {"beaconId": beacon, "phoneNumber": OTHER_USER}), 500, "2006")
    assert api.status(payment_id) == "IssuedToUser"


def test_phone_numbers_are_normalised(api, pos):
    pos_id, beacon = pos
    payment_id = api.initiate(pos_id)
    api.checkin(beacon, "+45 20 03 18 01")
    api.accept(beacon, "004520031801")
    assert api.status(payment_id) == "Reserved"


def test_require_payment_before_checkin(api, error):
    pos_id = api.create_pos(requirePaymentBeforeCheckin=True)
    beacon = api.beacon(pos_id)
    error(api.simulate("checkin", {"beaconId": beacon, "phoneNumber": DK_USER}), 500, "2004")
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["isUserCheckedIn"] is False
    payment_id = api.initiate(pos_id)
    api.checkin(beacon, DK_USER)
    assert api.status(payment_id) == "IssuedToUser"


def test_newest_checkin_takes_over(api, pos):
    pos_id, beacon = pos
    api.checkin(beacon, DK_USER)
    api.checkin(beacon, OTHER_USER)
    payment_id = api.initiate(pos_id)
    api.accept(beacon, OTHER_USER)
    assert api.status(payment_id) == "Reserved"
    # A newer check-in also takes over a payment already issued to someone else.
    payment_id = api.initiate(pos_id)
    api.checkin(beacon, DK_USER)
    api.checkin(beacon, OTHER_USER)
    api.accept(beacon, OTHER_USER)
    assert api.status(payment_id) == "Reserved"


def test_checkin_is_consumed_when_it_pairs(api, pos):
    pos_id, beacon = pos
    api.checkin(beacon)
    first = api.initiate(pos_id)
    checkin = api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()
    assert checkin["isUserCheckedIn"] is True  # the user the payment is issued to
    api.accept(beacon)
    assert api.get(f"/pos/v10/pointofsales/{pos_id}/checkin").json()["isUserCheckedIn"] is False
    second = api.initiate(pos_id)
    assert api.status(first) == "Reserved" and api.status(second) == "Initiated"


def test_checkin_on_a_deleted_pos_is_refused(api, pos, error):
    pos_id, beacon = pos
    api.delete(f"/pos/v10/pointofsales/{pos_id}")
    error(api.simulate("checkin", {"beaconId": beacon, "phoneNumber": DK_USER}), 500, "2001")


def test_python_user_controls(api, emulator, pos):
    from mobilepay.v10.emulator import ControlError

    pos_id, beacon = pos
    payment_id = api.initiate(pos_id)
    emulator.user_checkin(beacon, DK_USER)
    emulator.user_accept_payment(beacon, DK_USER)
    assert emulator.payment_status(payment_id) == "Reserved"
    with pytest.raises(ControlError, match="2003"):
        emulator.user_cancel_payment(beacon)
