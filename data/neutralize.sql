-- A neutralized copy never talks to the real MobilePay: its MobilePay methods use the demo emulator,
-- and it forgets the original's PoS (it registers its own, under its own merchantPosId, when used).
UPDATE pos_payment_method
   SET mobilepay_environment = 'demo',
       mobilepay_store_id = NULL,
       mobilepay_store_name = NULL
 WHERE use_payment_terminal = 'mobilepay';
UPDATE pos_mobilepay_registration
   SET state = 'draft',
       pos_id = NULL,
       beacon_id = NULL,
       qr_payload = NULL,
       store_id = NULL,
       idempotency_key = NULL,
       idempotency_spec = NULL,
       merchant_pos_id = 'neutralized-' || id;
