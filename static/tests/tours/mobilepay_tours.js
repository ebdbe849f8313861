import { registry } from "@web/core/registry";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as TicketScreen from "@point_of_sale/../tests/pos/tours/utils/ticket_screen_util";
import { negate } from "@point_of_sale/../tests/generic_helpers/utils";
import * as MobilePay from "@pos_mobilepay/../tests/tours/utils/mobilepay_util";

const METHOD = "MobilePay";
const { startWithDeskPad, validateAndCheckReceipt } = MobilePay;

/** From the QR on screen to a paid line: the customer checks in and approves. */
function customerPays() {
    return [
        MobilePay.dialogState("waiting_for_customer"),
        MobilePay.customer("checkin"),
        MobilePay.dialogState("checked_in", "waiting_for_approval"),
        MobilePay.customer("accept"),
        MobilePay.lineIsDone(),
    ];
}

registry.category("web_tour.tours").add("MobilePayPayTour", {
    steps: () =>
        [
            startWithDeskPad(),
            MobilePay.openCustomerDisplay(),
            MobilePay.customerDisplayIsReady(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            // The PoS API v10 is MobilePay's own: its words say MobilePay.
            MobilePay.dialogTitleIs("MobilePay"),
            MobilePay.dialogShowsDemo(),
            MobilePay.dialogState("waiting_for_customer"),
            MobilePay.dialogShowsQr(),
            MobilePay.dialogQrCaption("Scan with the MobilePay app"),
            MobilePay.dialogAmountIs("1.98"),
            MobilePay.dialogStatusContains("Waiting for the customer to scan"),
            MobilePay.lineShowsDemo(),
            MobilePay.lineShowsOnlyItsOwnState(),
            MobilePay.customerDisplayShowsQr(true),
            MobilePay.customerDisplayQr(true),
            MobilePay.customerDisplayMessage("Scan the QR code with the MobilePay app"),
            MobilePay.screenshot("mobilepay_1_waiting_for_customer"),
            MobilePay.screenshotCustomerDisplay("mobilepay_0_customer_display"),
            MobilePay.customer("checkin"),
            MobilePay.dialogState("checked_in", "waiting_for_approval"),
            // The customer display speaks to the customer, not in the cashier's words.
            MobilePay.customerDisplayMessage("Approve the payment in your MobilePay app"),
            MobilePay.screenshot("mobilepay_2_waiting_for_approval"),
            // Hidden dialog: the payment goes on, validation is refused meanwhile.
            MobilePay.clickDialogClose(),
            MobilePay.dialogIsClosed(),
            MobilePay.clickValidateAnyway(),
            MobilePay.validationBlockedDialog(),
            MobilePay.clickShowQr(),
            MobilePay.dialogIsShown(),
            MobilePay.customer("accept"),
            MobilePay.dialogState("reserved", "captured"),
            MobilePay.dialogState("captured"),
            MobilePay.screenshot("mobilepay_3_paid"),
            MobilePay.lineIsDone(),
            MobilePay.lineHasTransaction(),
            MobilePay.lineHasNoShowQr(),
            MobilePay.customerDisplayShowsQr(false),
            MobilePay.customerDisplayQr(false),
            validateAndCheckReceipt(),
            MobilePay.receiptShowsDemo(),
            MobilePay.screenshot("mobilepay_7_receipt"),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayRejectRetryTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogState("waiting_for_customer"),
            MobilePay.customer("checkin"),
            MobilePay.dialogState("checked_in", "waiting_for_approval"),
            MobilePay.customer("reject"),
            MobilePay.dialogState("cancelled_by_customer"),
            MobilePay.dialogStatusContains("Cancelled by the customer"),
            MobilePay.dialogHintContains("Retry"),
            MobilePay.screenshot("mobilepay_4_cancelled_by_customer"),
            MobilePay.lineState("cancelled_by_customer"),
            MobilePay.customerDisplayShowsQr(false),
            // The dialog says "Retry" and offers it: a new attempt starts in the same dialog.
            MobilePay.clickDialogRetry(),
            customerPays(),
            validateAndCheckReceipt(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayCashierCancelTour", {
    steps: () =>
        [
            startWithDeskPad(),
            // 1. The dialog's Cancel button cancels at MobilePay.
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogState("waiting_for_customer"),
            MobilePay.clickDialogCancel(),
            MobilePay.dialogState("cancelled_by_cashier"),
            MobilePay.screenshot("mobilepay_5_cancelled_by_cashier"),
            MobilePay.clickDialogClose(),
            MobilePay.lineState("cancelled_by_cashier"),
            PaymentScreen.clickPaymentlineDelButton(METHOD, "1.98"),
            {
                content: "the cancelled line is gone",
                trigger: negate(".paymentlines .paymentline .payment-infos:contains('MobilePay')"),
            },
            // 2. Removing a running line cancels it at MobilePay too.
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.clickNumpad("1"),
            PaymentScreen.selectedPaymentlineHas("Cash", "1.00"),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogState("waiting_for_customer"),
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

registry.category("web_tour.tours").add("MobilePayReloadTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogState("waiting_for_customer"),
            MobilePay.reload(),
            // The POS comes back on the payment screen with the live state.
            PaymentScreen.isShown(),
            MobilePay.dialogState("waiting_for_customer"),
            MobilePay.dialogShowsQr(),
            MobilePay.customer("checkin"),
            MobilePay.dialogState("checked_in", "waiting_for_approval"),
            MobilePay.screenshot("mobilepay_6_resumed_after_reload"),
            MobilePay.customer("accept"),
            // The register validates terminal payments itself: so it does after the reload too.
            ReceiptScreen.isShown(),
            MobilePay.receiptShowsMobilePay(),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayRefundTour", {
    steps: () =>
        [
            startWithDeskPad(),
            PaymentScreen.clickPaymentMethod(METHOD),
            customerPays(),
            validateAndCheckReceipt(),
            ReceiptScreen.clickNextOrder(),
            ...ProductScreen.clickRefund(),
            TicketScreen.selectOrderByPrice("1.98"),
            ProductScreen.clickNumpad("1"),
            TicketScreen.toRefundTextContains("To Refund: 1"),
            TicketScreen.confirmRefund(),
            PaymentScreen.isShown(),
            // A refund MobilePay refuses (too old) ends with a clear error ...
            MobilePay.mobilepayControl("refund_window", { seconds: 0 }),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.clickSendRefund(),
            MobilePay.dialogIsShown(),
            MobilePay.dialogTitleIs("MobilePay refund"),
            MobilePay.dialogNamesTheOrderOnce(),
            {
                content: "the refund failed with a reason",
                trigger: ".o_mobilepay_dialog .o_mobilepay_reason",
            },
            MobilePay.screenshot("mobilepay_8_refund_refused"),
            MobilePay.clickDialogClose(),
            // ... and once MobilePay accepts it, the retry refunds the customer.
            MobilePay.mobilepayControl("refund_window", { seconds: 90 * 24 * 3600 }),
            MobilePay.clickRetry(),
            MobilePay.dialogIsShown(),
            MobilePay.dialogState("captured"),
            MobilePay.dialogStatusContains("Refunded"),
            MobilePay.screenshot("mobilepay_9_refunded"),
            MobilePay.lineIsDone(true),
            validateAndCheckReceipt("Refunded with MobilePay"),
        ].flat(),
});

registry.category("web_tour.tours").add("MobilePayNoAnswerTour", {
    steps: () =>
        [
            startWithDeskPad(),
            MobilePay.mobilepayControl("answers_lost"),
            PaymentScreen.clickPaymentMethod(METHOD),
            MobilePay.dialogIsShown(),
            // MobilePay may have the payment: the cashier is told so, and cannot start another.
            MobilePay.dialogState("unknown"),
            MobilePay.dialogStatusContains("MobilePay has not answered yet"),
            MobilePay.dialogHintContains("Do not take the payment again"),
            MobilePay.lineState("unknown"),
            MobilePay.lineHasNoRetry(),
            MobilePay.screenshot("mobilepay_10_no_answer_yet"),
            MobilePay.mobilepayControl("answers_back"),
            customerPays(),
            validateAndCheckReceipt(),
        ].flat(),
});

