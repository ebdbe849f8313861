-- A neutralized copy never talks to the real MobilePay: its MobilePay methods use the demo emulator.
UPDATE pos_payment_method
   SET mobilepay_environment = 'demo',
       mobilepay_store_id = NULL,
       mobilepay_store_name = NULL
 WHERE use_payment_terminal = 'mobilepay';
UPDATE pos_mobilepay_registration
   SET state = 'draft',
       pos_id = NULL;
