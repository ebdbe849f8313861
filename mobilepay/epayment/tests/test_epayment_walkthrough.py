"""The core demo's ePayment walk (``python -m mobilepay.epayment.walkthrough``) against the emulator."""

from mobilepay.epayment import walkthrough
from mobilepay.epayment.auth import clear_token_cache


def test_the_walk_pays_captures_and_refunds(epayment_emulator, capsys):
    clear_token_cache()
    assert walkthrough.main(["--emulator", epayment_emulator.base_url, "--auto", "--amount", "80.00"]) == 0
    out = capsys.readouterr().out
    for line in ("one-time QR payment of 80.00 DKK", "approved: capturing", "captured 80.00 DKK -> paid",
                 "refunded 16.00 DKK at once", "event log: CREATED 80.00, AUTHORIZED 80.00, CAPTURED 80.00, "
                 "REFUNDED 16.00"):
        assert line in out, line
    assert epayment_emulator.demo.client_secret not in out


def test_the_walk_says_where_the_emulator_should_be(capsys):
    clear_token_cache()
    assert walkthrough.main(["--emulator", "http://127.0.0.1:9", "--auto"]) == 1
    assert "Start it with: python -m mobilepay.epayment.emulator" in capsys.readouterr().out
