import { registry } from "@web/core/registry";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as TicketScreen from "@point_of_sale/../tests/pos/tours/utils/ticket_screen_util";
import { negate } from "@point_of_sale/../tests/generic_helpers/utils";
import * as MobilePay from "@pos_mobilepay/../tests/tours/utils/mobilepay_util";

/**
 * Vipps MobilePay ePayment at the till (tests/test_frontend_tours.py,
 * TestMobilePayEPaymentTours): the test opens the session with the payment
 * method in the flow of the tour, and its driver plays the customer at the
 * ePayment emulator.
 */

const METHOD = "MobilePay";
const { startWithDeskPad, validateAndCheckReceipt } = MobilePay;

/** The one-time QR of the payment is up (a link to the emulator's image). */
function oneTimeQrShown() {
    return [
        MobilePay.dialogFlow("qr_on_screen"),
        MobilePay.dialogState("waiting_for_customer"),
        MobilePay.dialogShowsQr("http"),
    ];
}

/** The customer approves in the app; the server captures; the line is paid. */
function customerApproves() {
    return [
        MobilePay.customer("approve"),
        MobilePay.dialogState("reserved", "captured"),
        MobilePay.dialogState("captured"),
        MobilePay.lineIsDone(),
        MobilePay.lineHasTransaction(),
    ];
}

registry.category("web_tour.tours").add("MobilePayEPaymentQrTour", {
    steps: () =>
        [
            startWithDeskPad(),
            MobilePay.openCustomerDisplay(),
            MobilePay.customerDisplayIsReady(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            oneTimeQrShown(),
            MobilePay.dialogAmountIs("1.98"),
            MobilePay.dialogStatusContains("Waiting for the customer to scan"),
            MobilePay.customerDisplayShowsQr(true),
            MobilePay.customerDisplayQr(true),
            MobilePay.screenshot("mobilepay_11_epayment_qr"),
            MobilePay.screenshotCustomerDisplay("mobilepay_12_epayment_customer_display"),
            customerApproves(),
            MobilePay.customerDisplayQr(false),
            validateAndCheckReceipt(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentPhoneTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            MobilePay.dialogState("input"),
            MobilePay.dialogFlow("phone_number"),
            MobilePay.dialogStatusContains("Enter the customer's phone number"),
            MobilePay.screenshot("mobilepay_13_phone_number"),
            // Not a phone number: the POS says so, nothing is sent.
            MobilePay.typeCustomer("12"),
            MobilePay.clickSend(),
            MobilePay.inputErrorContains("mobile number"),
            MobilePay.dialogState("input"),
            // Nine digits without a country code: the server refuses it, the cashier corrects it.
            MobilePay.typeCustomer("123 456 789"),
            MobilePay.inputHasNoError(),
            MobilePay.clickSend(),
            MobilePay.inputErrorContains("country code"),
            MobilePay.dialogState("input"),
            MobilePay.screenshot("mobilepay_14_phone_number_refused"),
            MobilePay.typeCustomer("+45 12 34 56 78"),
            MobilePay.clickSend(),
            MobilePay.dialogFlow("phone_number"),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            MobilePay.dialogStatusContains("approve in the MobilePay app"),
            MobilePay.screenshot("mobilepay_15_sent_to_the_app"),
            customerApproves(),
            validateAndCheckReceipt(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentPersonalQrTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            MobilePay.dialogState("input"),
            MobilePay.dialogFlow("personal_qr"),
            MobilePay.dialogStatusContains("Scan the customer's code"),
            MobilePay.screenshot("mobilepay_16_scan_customer_code"),
            // The cashier looks at the phone-number way, then comes back and scans.
            MobilePay.clickSwitchFlow("phone_number"),
            MobilePay.dialogFlow("phone_number"),
            MobilePay.clickSwitchFlow("personal_qr"),
            MobilePay.dialogFlow("personal_qr"),
            MobilePay.scanCustomerCode(),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            customerApproves(),
            validateAndCheckReceipt(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentStickerTour", {
    steps: () =>
        [
            startWithDeskPad(),
            MobilePay.openCustomerDisplay(),
            MobilePay.customerDisplayIsReady(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            MobilePay.dialogFlow("sticker"),
            MobilePay.dialogState("awaiting_checkin"),
            MobilePay.dialogShowsSticker(),
            MobilePay.dialogStatusContains("Waiting for the customer to scan the sticker"),
            MobilePay.lineState("awaiting_checkin"),
            MobilePay.customerDisplayMessage("Scan the MobilePay sticker"),
            MobilePay.screenshot("mobilepay_17_sticker_waiting"),
            // The customer scans the sticker: Vipps MobilePay tells Odoo (webhook), Odoo sends the payment.
            MobilePay.customer("scan_sticker"),
            MobilePay.dialogState("checked_in", "waiting_for_approval"),
            MobilePay.screenshot("mobilepay_18_sticker_checked_in"),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            MobilePay.customerDisplayMessage("Approve the payment in the MobilePay app"),
            customerApproves(),
            validateAndCheckReceipt(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentCancelTour", {
    steps: () =>
        [
            startWithDeskPad(),
            // 1. The dialog's Cancel button cancels at Vipps MobilePay.
            PaymentScreen.clickPaymentMethod(METHOD),
            oneTimeQrShown(),
            MobilePay.clickDialogCancel(),
            MobilePay.dialogState("cancelled_by_cashier"),
            MobilePay.dialogStatusContains("Cancelled by the cashier"),
            MobilePay.clickDialogClose(),
            MobilePay.lineState("cancelled_by_cashier"),
            PaymentScreen.clickPaymentlineDelButton(METHOD, "1.98"),
            {
                content: "the cancelled line is gone",
                trigger: negate(".paymentlines .paymentline .payment-infos:contains('MobilePay')"),
            },
            // 2. Removing a running line cancels it too.
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickNumpad("1"),
            PaymentScreen.selectedPaymentlineHas("Cash", "1.00"),
            PaymentScreen.clickPaymentMethod(METHOD),
            oneTimeQrShown(),
            MobilePay.dialogAmountIs("0.98"),
            MobilePay.clickDialogClose(),
            PaymentScreen.clickPaymentline("Cash", "1.00"),
            PaymentScreen.clickPaymentlineDelButton(METHOD, "0.98"),
            {
                content: "the running line was cancelled and removed",
                trigger: negate(".paymentlines .paymentline .payment-infos:contains('MobilePay')"),
            },
            MobilePay.dialogIsClosed(),
            // The rest by card (one cash line per order).
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentRefundTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            oneTimeQrShown(),
            customerApproves(),
            validateAndCheckReceipt(),
            ReceiptScreen.clickNextOrder(),
            ...ProductScreen.clickRefund(),
            TicketScreen.selectOrderByPrice("1.98"),
            ProductScreen.clickNumpad("1"),
            TicketScreen.toRefundTextContains("To Refund: 1"),
            TicketScreen.confirmRefund(),
            PaymentScreen.isShown(),
            // An ePayment refund is final at once: no QR, the customer does nothing.
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.clickSendRefund(),
            MobilePay.dialogIsShown(),
            MobilePay.dialogState("captured"),
            MobilePay.dialogStatusContains("Refunded"),
            MobilePay.lineIsDone(true),
            validateAndCheckReceipt("Refunded with MobilePay"),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayEPaymentReloadTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            oneTimeQrShown(),
            MobilePay.reload(),
            // The POS comes back on the payment screen with the payment's QR and live state.
            PaymentScreen.isShown(),
            oneTimeQrShown(),
            MobilePay.screenshot("mobilepay_19_epayment_resumed_after_reload"),
            customerApproves(),
            validateAndCheckReceipt(),
        ].flat(),
});
