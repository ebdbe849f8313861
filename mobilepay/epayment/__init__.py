"""Vipps MobilePay ePayment API v1 with the Access Token, Webhooks and QR APIs (the live successor of
the PoS API v10). ``client`` / ``webhooks_client`` / ``qr_client`` talk to it, ``signature`` and
``webhook_events`` read its deliveries, ``emulator`` stands in for it in tests and demo mode."""
