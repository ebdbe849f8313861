import {
    MobilePayPaymentInterface,
    mobilePayAdapters,
} from "@pos_mobilepay/app/payment_mobilepay";

/**
 * MobilePay PoS API v10 (retired in 2024; its emulator is the demo). The customer
 * scans the register's QR code (a check-in), then approves in the app.
 */
export class PaymentMobilePayV10 extends MobilePayPaymentInterface {
    /** A check-in at the register's QR is for the payment waiting there for its customer. */
    awaitsCheckin(data) {
        return data.state === "waiting_for_customer";
    }
}

mobilePayAdapters.add("v10", PaymentMobilePayV10);
