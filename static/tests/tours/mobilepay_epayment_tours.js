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
const BRAND = "Vipps MobilePay";
const PAID_WITH = `Paid with ${BRAND}`;
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

/**
 * The demo method in a database without demo data (the test says so): the POS warns at start,
 * and the dialog, the payment line and the receipt say that no money moves. Every word is the
 * brand's: Vipps MobilePay.
 */
registry.category("web_tour.tours").add("MobilePayEPaymentQrTour", {
    steps: () =>
        [
            startWithDeskPad({ demoWarning: METHOD }),
            MobilePay.openCustomerDisplay(),
            MobilePay.customerDisplayIsReady(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            MobilePay.dialogTitleIs(BRAND),
            MobilePay.dialogShowsDemo(),
            oneTimeQrShown(),
            MobilePay.dialogQrCaption(`Scan with the ${BRAND} app`),
            MobilePay.dialogAmountIs("1.98"),
            MobilePay.dialogStatusContains("Waiting for the customer to scan"),
            MobilePay.lineShowsDemo(),
            MobilePay.lineShowsOnlyItsOwnState(),
            MobilePay.customerDisplayShowsQr(true),
            MobilePay.customerDisplayQr(true),
            MobilePay.customerDisplayMessage(`Scan the QR code with the ${BRAND} app`),
            MobilePay.screenshot("mobilepay_11_epayment_qr"),
            MobilePay.screenshotCustomerDisplay("mobilepay_12_epayment_customer_display"),
            customerApproves(),
            MobilePay.lineHasNoShowQr(),
            MobilePay.customerDisplayQr(false),
            validateAndCheckReceipt(PAID_WITH),
            MobilePay.receiptShowsDemo(),
            MobilePay.screenshot("mobilepay_21_demo_receipt"),
        ].flat(),
});

/**
 * The method shows a QR, but the customer cannot scan it: the cashier sends the payment to the
 * customer's phone number instead. The QR payment is cancelled, the same line goes on.
 */
registry.category("web_tour.tours").add("MobilePayEPaymentSwitchFlowTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            oneTimeQrShown(),
            MobilePay.clickSwitchFlow("phone_number"),
            MobilePay.dialogFlow("phone_number"),
            MobilePay.dialogState("input"),
            MobilePay.nothingWasSent(),
            MobilePay.lineState("input"),
            MobilePay.typeCustomer("+45 12 34 56 78"),
            MobilePay.clickSend(),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            customerApproves(),
            validateAndCheckReceipt(PAID_WITH),
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
            // A Danish number with nine digits: refused in the box, nothing is sent.
            MobilePay.typeCustomer("+45 123 456 789"),
            MobilePay.inputHasNoError(),
            MobilePay.clickSend(),
            MobilePay.inputErrorContains("8 digits after +45"),
            MobilePay.dialogState("input"),
            MobilePay.nothingWasSent(),
            MobilePay.screenshot("mobilepay_14_phone_number_refused"),
            MobilePay.typeCustomer("+45 12 34 56 78"),
            MobilePay.clickSend(),
            MobilePay.dialogFlow("phone_number"),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            MobilePay.dialogStatusContains(`approve in the ${BRAND} app`),
            MobilePay.screenshot("mobilepay_15_sent_to_the_app"),
            customerApproves(),
            validateAndCheckReceipt(PAID_WITH),
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
            validateAndCheckReceipt(PAID_WITH),
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
            MobilePay.customerDisplayMessage(`Scan the ${BRAND} sticker`),
            MobilePay.screenshot("mobilepay_17_sticker_waiting"),
            // The customer scans the sticker: Vipps MobilePay tells Odoo (webhook), Odoo sends the payment.
            MobilePay.customer("scan_sticker"),
            MobilePay.dialogState("checked_in", "waiting_for_approval"),
            MobilePay.screenshot("mobilepay_18_sticker_checked_in"),
            MobilePay.dialogState("waiting_for_approval"),
            MobilePay.dialogShowsOnPhone(),
            MobilePay.customerDisplayMessage(`Approve the payment in your ${BRAND} app`),
            customerApproves(),
            validateAndCheckReceipt(PAID_WITH),
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
            {
                content: "the dialog of a cancelled payment offers Retry beside Close",
                trigger: ".o_mobilepay_dialog .modal-footer:has(.o_mobilepay_retry):has(.o_mobilepay_close)",
            },
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
            validateAndCheckReceipt(PAID_WITH),
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
            MobilePay.dialogTitleIs(`${BRAND} refund`),
            MobilePay.dialogNamesTheOrderOnce(),
            MobilePay.dialogState("captured"),
            MobilePay.dialogStatusContains("Refunded"),
            MobilePay.lineIsDone(true),
            validateAndCheckReceipt(`Refunded with ${BRAND}`),
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
            MobilePay.customer("approve"),
            // The register validates terminal payments itself: so it does after the reload too.
            ReceiptScreen.isShown(),
            MobilePay.receiptShowsMobilePay(PAID_WITH),
        ].flat(),
});
