import { simulateBarCode } from "@barcodes/../tests/legacy/helpers";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";

/**
 * Tour steps for the MobilePay payment dialog, and the customer's side.
 *
 * The customer is played by the test (tests/test_frontend_tours.py): it runs a
 * small "customer driver" HTTP server on 127.0.0.1 whose address the tour gets
 * in the URL (?mobilepay_driver=...). A step POSTs to it and the driver plays
 * the customer at the emulator (v10: check in, accept, decline for the beacon of
 * the running payment; ePayment: approve or reject the running payment, scan the
 * till's sticker, show the customer's payment code). Screenshots: a step logs
 * "MOBILEPAY_SCREENSHOT:<name>" and the test captures the page.
 */

const DIALOG = ".o_mobilepay_dialog";

const DEMO_TEXT = "Demo — no money moves";

/**
 * Opens the register, sells a Desk Pad (1.98) and goes to the payment screen. With
 * ``demoWarning`` (a demo method in a database without demo data), the POS first warns, as
 * it loads, that the method moves no money, naming it; the cashier reads it and closes it.
 */
export function startWithDeskPad({ demoWarning = "" } = {}) {
    return [
        demoWarning ? demoWarningIsShown(demoWarning) : [],
        Chrome.startPoS(),
        Dialog.confirm("Open Register"),
        ProductScreen.clickDisplayedProduct("Desk Pad"),
        ProductScreen.clickPayButton(),
    ].flat();
}

/** The warning at the start of the POS: a demo method in a database without demo data. */
export function demoWarningIsShown(method) {
    const warning = ".modal-content.o_mobilepay_demo_warning";
    return [
        {
            content: `the POS warns that ${method} is a demo method`,
            trigger: `${warning} .modal-body:contains("${method}"):contains("no money moves"):contains("Test or Production")`,
        },
        screenshot("mobilepay_20_demo_warning"),
        {
            content: "the cashier closes the warning",
            trigger: `.o_dialog:not(.o_inactive_modal) ${warning} .modal-footer .btn-primary`,
            run: "click",
        },
        {
            content: "the warning is closed",
            trigger: `body:not(:has(${warning}))`,
        },
    ];
}

/** A demo payment says so in the dialog (a banner a cashier cannot miss). */
export function dialogShowsDemo() {
    return {
        content: "the MobilePay dialog says the demo moves no money",
        trigger: `${DIALOG} .o_mobilepay_demo_banner:contains("${DEMO_TEXT}")`,
    };
}

/** ... on the payment line ... */
export function lineShowsDemo() {
    return {
        content: "the MobilePay payment line says the demo moves no money",
        trigger: `.paymentlines .o_mobilepay_line_status .o_mobilepay_line_demo:contains("${DEMO_TEXT}")`,
    };
}

/** ... and on the receipt, under the payment. */
export function receiptShowsDemo() {
    return {
        content: "the receipt says the demo payment moved no money",
        trigger: `.pos-receipt .paymentlines .o_mobilepay_receipt_ref .o_mobilepay_receipt_demo:contains("${DEMO_TEXT}")`,
    };
}

export function dialogTitleIs(title) {
    return {
        content: `the MobilePay dialog is titled '${title}'`,
        trigger: `.modal-content${DIALOG} .modal-title:contains("${title}")`,
        run: () => {
            const text = document.querySelector(`.modal-content${DIALOG} .modal-title`).textContent;
            if (text.trim() !== title) {
                throw new Error(`dialog title: expected '${title}', got '${text.trim()}'`);
            }
        },
    };
}

/** The dialog names the order once: "Order 2500-1-000003", never "Order Order …". */
export function dialogNamesTheOrderOnce() {
    return {
        content: "the dialog names the order with one 'Order'",
        trigger: `${DIALOG} .o_mobilepay_order:contains("Order ")`,
        run: () => {
            const text = document.querySelector(`${DIALOG} .o_mobilepay_order`).textContent;
            if (/order\s+order/i.test(text)) {
                throw new Error(`the dialog says '${text.trim()}'`);
            }
        },
    };
}

export function dialogQrCaption(text) {
    return {
        content: `the QR caption says '${text}'`,
        trigger: `${DIALOG} .o_mobilepay_qr_caption:contains("${text}")`,
    };
}

/** Nothing was sent for the line: it has no transaction at MobilePay. */
export function nothingWasSent() {
    return {
        content: "nothing was sent to MobilePay",
        trigger: "body",
        run: () => {
            const data = currentMobilePayData();
            if (data?.reference) {
                throw new Error(`a transaction was started: ${data.reference}`);
            }
        },
    };
}

/** The paid order is validated; its receipt names MobilePay and the transaction. */
export function validateAndCheckReceipt(text = "Paid with MobilePay") {
    return [
        dialogIsClosed(),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
        ...receiptShowsMobilePay(text),
    ].flat();
}

function driverUrl() {
    const driver = new URLSearchParams(window.location.search).get("mobilepay_driver");
    if (!driver) {
        throw new Error("The tour needs ?mobilepay_driver=<url> (see test_frontend_tours.py)");
    }
    return driver;
}

/** The MobilePay data of the newest MobilePay line of the current order. */
function currentMobilePayData() {
    const order = window.posmodel.getOrder();
    const lines = order.payment_ids.filter(
        (l) => l.payment_method_id.use_payment_terminal === "mobilepay" && l.uiState?.mobilepay
    );
    return lines.at(-1)?.uiState.mobilepay;
}

/** The customer does something on their phone (see the driver in the test). */
export function customer(action, extra = {}) {
    return {
        content: `customer: ${action}`,
        trigger: "body",
        run: async () => {
            const data = currentMobilePayData();
            const response = await fetch(`${driverUrl()}/${action}`, {
                method: "POST",
                body: JSON.stringify({
                    beacon_id: data?.beacon_id || null,
                    reference: data?.reference || null,
                    ...extra,
                }),
            });
            if (!response.ok) {
                throw new Error(`customer ${action} failed: ${await response.text()}`);
            }
        },
    };
}

/** Tells the test to change something on the MobilePay side (emulator controls). */
export function mobilepayControl(action, extra = {}) {
    return {
        content: `MobilePay side: ${action}`,
        trigger: "body",
        run: async () => {
            const response = await fetch(`${driverUrl()}/${action}`, {
                method: "POST",
                body: JSON.stringify(extra),
            });
            if (!response.ok) {
                throw new Error(`control ${action} failed: ${await response.text()}`);
            }
        },
    };
}

/** Asks the test to capture the page (only when it was asked to keep screenshots). */
export function screenshot(name) {
    return {
        content: `screenshot ${name}`,
        trigger: "body",
        run: async () => {
            console.log(`MOBILEPAY_SCREENSHOT:${name}`);
            await new Promise((resolve) => setTimeout(resolve, 700));
        },
    };
}

export function dialogIsShown() {
    return {
        content: "the MobilePay dialog is shown",
        trigger: `${DIALOG} .o_mobilepay_body`,
    };
}

export function dialogState(...states) {
    return {
        content: `the MobilePay dialog shows ${states.join(" or ")}`,
        trigger: states
            .map((s) => `${DIALOG} .o_mobilepay_body[data-mobilepay-state='${s}']`)
            .join(", "),
    };
}

/** The dialog shows the QR code: the register's (a data URI) or the payment's (a link). */
export function dialogShowsQr(prefix = "data:image/") {
    return {
        content: `the dialog shows the QR code (${prefix}…)`,
        trigger: `${DIALOG} img.o_mobilepay_qr[src^='${prefix}']`,
    };
}

export function dialogFlow(flow) {
    return {
        content: `the MobilePay dialog is in the ${flow} flow`,
        trigger: `${DIALOG} .o_mobilepay_body[data-mobilepay-flow='${flow}']`,
    };
}

/** The cashier types what addresses the customer (phone number, or the text of the code). */
export function typeCustomer(text) {
    return {
        content: `the cashier types '${text}'`,
        trigger: `${DIALOG} input.o_mobilepay_customer_input`,
        run: `edit ${text}`,
    };
}

export function clickSend() {
    return {
        content: "the cashier presses Send",
        trigger: `${DIALOG} .o_mobilepay_send:enabled`,
        run: "click",
    };
}

export function inputErrorContains(text) {
    return {
        content: `the dialog says what is wrong with the input: '${text}'`,
        trigger: `${DIALOG} .o_mobilepay_input_error:contains("${text}")`,
    };
}

export function inputHasNoError() {
    return {
        content: "the input shows no error",
        trigger: `${DIALOG} .o_mobilepay_customer_input_box:not(:has(.o_mobilepay_input_error))`,
    };
}

export function clickSwitchFlow(flow) {
    return {
        content: `the cashier switches to the ${flow} flow`,
        trigger: `${DIALOG} .o_mobilepay_switch_flow[data-flow='${flow}']`,
        run: "click",
    };
}

/**
 * The cashier scans the customer's payment code with the barcode scanner: the
 * driver says what the customer's app shows, and the scanner "types" it.
 */
export function scanCustomerCode(phone = "") {
    return {
        content: "the cashier scans the customer's payment code",
        trigger: `${DIALOG} .o_mobilepay_customer_input_box[data-flow='personal_qr']`,
        run: async () => {
            const response = await fetch(`${driverUrl()}/personal_qr`, {
                method: "POST",
                body: JSON.stringify({ phone }),
            });
            if (!response.ok) {
                throw new Error(`personal_qr failed: ${await response.text()}`);
            }
            simulateBarCode([...(await response.text()), "Enter"]);
        },
    };
}

export function dialogShowsSticker() {
    return {
        content: "the dialog asks the customer to scan the sticker",
        trigger: `${DIALOG} .o_mobilepay_sticker`,
    };
}

export function dialogShowsOnPhone() {
    return {
        content: "the dialog says the payment is in the customer's app",
        trigger: `${DIALOG} .o_mobilepay_on_phone`,
    };
}

export function dialogReasonContains(text) {
    return {
        content: `the dialog shows the reason '${text}'`,
        trigger: `${DIALOG} .o_mobilepay_reason:contains("${text}")`,
    };
}

export function dialogStatusContains(text) {
    return {
        content: `the dialog says '${text}'`,
        trigger: `${DIALOG} .o_mobilepay_status_text:contains("${text}")`,
    };
}

export function dialogHintContains(text) {
    return {
        content: `the MobilePay dialog hint says "${text}"`,
        trigger: `.o_mobilepay_dialog .o_mobilepay_hint:contains("${text}")`,
    };
}

/** The line is still running: the POS offers no "Retry" that could take the money twice. */
export function lineHasNoRetry() {
    return {
        content: "the MobilePay payment line offers no retry",
        trigger: `.paymentlines:has(.o_mobilepay_line_status):not(:has(.send_payment_request))`,
    };
}

export function dialogAmountIs(amount) {
    return {
        content: `the dialog shows the amount ${amount}`,
        trigger: `${DIALOG} .o_mobilepay_amount:contains("${amount}")`,
    };
}

export function clickDialogCancel() {
    return {
        content: "cashier cancels in the MobilePay dialog",
        trigger: `${DIALOG} .o_mobilepay_cancel:enabled`,
        run: "click",
    };
}

export function clickDialogClose() {
    return {
        content: "close (hide) the MobilePay dialog",
        trigger: `${DIALOG} .o_mobilepay_close`,
        run: "click",
    };
}

export function dialogIsClosed() {
    return {
        content: "the MobilePay dialog is closed",
        trigger: `body:not(:has(${DIALOG}))`,
    };
}

export function lineState(state) {
    return {
        content: `the payment line shows the MobilePay state ${state}`,
        trigger: `.paymentlines .o_mobilepay_line_status[data-state='${state}']`,
    };
}

export function lineReasonContains(text) {
    return {
        content: `the payment line shows the reason '${text}'`,
        trigger: `.paymentlines .o_mobilepay_line_reason:contains("${text}")`,
    };
}

export function lineIsDone(refund = false) {
    const status = refund ? "Refunded" : "Paid";
    return {
        content: `the MobilePay line is ${refund ? "refunded" : "paid"}`,
        trigger: `.paymentlines .o_mobilepay_line_status[data-state='captured'][data-paid='true'] .o_mobilepay_line_state:contains('${status}')`,
    };
}

/**
 * The MobilePay line shows our state only: no card terminal wording ("Waiting for card"),
 * no Force done, one Cancel (ours) while it runs.
 */
export function lineShowsOnlyItsOwnState() {
    return {
        content: "the MobilePay line has no card wording and one Cancel",
        // On the body: the line is below the MobilePay dialog.
        trigger:
            "body:has(.paymentlines:has(.o_mobilepay_line_status):not(:has(.electronic_payment)):not(:contains('Waiting for card')):not(:has(.send_force_done)))",
        run: () => {
            const cancels = document.querySelectorAll(
                ".paymentlines .o_mobilepay_line_cancel, .paymentlines .send_payment_cancel"
            );
            if (cancels.length !== 1) {
                throw new Error(`the payment line shows ${cancels.length} Cancel buttons`);
            }
        },
    };
}

/** Once the payment is approved (being captured) or over, the line offers no "Show QR". */
export function lineHasNoShowQr() {
    return {
        content: "the MobilePay line offers no Show QR",
        trigger: ".paymentlines:has(.o_mobilepay_line_status):not(:has(.o_mobilepay_show_qr:contains('Show QR')))",
    };
}

export function lineHasTransaction() {
    return {
        content: "the MobilePay line shows its transaction",
        trigger: ".paymentlines .o_mobilepay_line_transaction",
    };
}

export function clickRetry() {
    return {
        content: "click Retry on the payment line",
        trigger: ".paymentlines .o_mobilepay_line_retry:contains('Retry')",
        run: "click",
    };
}

/** The dialog of a payment that ended unpaid offers Retry (not only Close) and starts a new attempt. */
export function clickDialogRetry() {
    return {
        content: "click Retry in the MobilePay dialog",
        trigger: `${DIALOG} .modal-footer .o_mobilepay_retry`,
        run: "click",
    };
}

export function clickShowQr() {
    return {
        content: "reopen the MobilePay dialog from the line",
        trigger: ".paymentlines .o_mobilepay_show_qr",
        run: "click",
    };
}

export function clickValidateAnyway() {
    return {
        content: "press Validate while the payment runs",
        trigger: ".payment-screen button.validation-button.next",
        run: "click",
    };
}

export function validationBlockedDialog() {
    return [
        {
            content: "validation is refused while MobilePay runs",
            trigger: ".modal .modal-title:contains('MobilePay payment in progress')",
        },
        {
            content: "close the alert",
            trigger:
                ".modal:has(.modal-title:contains('MobilePay payment in progress')) .modal-footer .btn-primary",
            run: "click",
        },
    ];
}

/** What the POS sends to the customer display: our QR goes in its QR payment data. */
export function customerDisplayShowsQr(expected = true) {
    return {
        content: `the customer display data ${expected ? "has" : "has no"} MobilePay QR`,
        trigger: "body",
        run: () => {
            // Looked up here: the tour bundle also loads where the POS modules do not.
            const { CustomerDisplayPosAdapter } = odoo.loader.modules.get(
                "@point_of_sale/app/customer_display/customer_display_adapter"
            );
            const adapter = new CustomerDisplayPosAdapter();
            adapter.channel.close();
            adapter.formatOrderData(window.posmodel.getOrder());
            const has = Boolean(adapter.data.mobilepay?.qrImage);
            if (has !== expected) {
                throw new Error(`customer display MobilePay QR: expected ${expected}, got ${has}`);
            }
        },
    };
}

const DISPLAY_FRAME = "o_mobilepay_test_customer_display";

/**
 * Opens the customer display of this POS in a hidden iframe of the page (same
 * browser, so the POS reaches it like a second screen would).
 */
export function openCustomerDisplay() {
    return {
        content: "open the customer display (hidden iframe)",
        trigger: "body",
        run: () => {
            const config = window.posmodel.config;
            // The display of this device, as the navbar's "Customer Display" opens it.
            if (!localStorage.getItem("device_uuid")) {
                localStorage.setItem("device_uuid", crypto.randomUUID?.() || `mobilepay-${Date.now()}`);
            }
            const frame = document.createElement("iframe");
            frame.id = DISPLAY_FRAME;
            frame.src = `/pos_customer_display/${config.id}/${localStorage.getItem("device_uuid")}`;
            Object.assign(frame.style, {
                position: "fixed",
                inset: "0",
                width: "100vw",
                height: "100vh",
                border: "0",
                zIndex: "20000",
                visibility: "hidden",
                pointerEvents: "none",
                background: "white",
            });
            document.body.appendChild(frame);
        },
    };
}

export function customerDisplayIsReady() {
    return {
        content: "the customer display is listening",
        trigger: "body",
        run: async () => {
            for (let i = 0; i < 100; i++) {
                if (displayDocument()?.querySelector(".o_customer_display")) {
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            throw new Error("the customer display did not load");
        },
    };
}

function displayDocument() {
    return document.getElementById(DISPLAY_FRAME)?.contentDocument;
}

/** The customer display shows (or no longer shows) the MobilePay QR code. */
export function customerDisplayQr(shown = true) {
    return {
        content: `the customer display ${shown ? "shows" : "no longer shows"} the MobilePay QR`,
        trigger: "body",
        run: async () => {
            for (let i = 0; i < 100; i++) {
                const doc = displayDocument();
                const qr = doc?.querySelector("img.o_mobilepay_customer_qr[src]");
                if (Boolean(qr) === shown && doc?.querySelector(".o_customer_display")) {
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            const doc = displayDocument();
            throw new Error(
                `customer display: MobilePay QR ${shown ? "missing" : "still shown"} (display: ${
                    doc?.body?.innerText?.slice(0, 300) || "not loaded"
                })`
            );
        },
    };
}

/** The customer display tells the customer what to do (no QR in this flow). */
export function customerDisplayMessage(text) {
    return {
        content: `the customer display says '${text}'`,
        trigger: "body",
        run: async () => {
            for (let i = 0; i < 100; i++) {
                const message = displayDocument()?.querySelector(".o_mobilepay_customer_message");
                if (message?.textContent.includes(text)) {
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            throw new Error(`customer display: no message '${text}'`);
        },
    };
}

/** Shows the customer display over the POS for a screenshot, then hides it again. */
export function screenshotCustomerDisplay(name) {
    return [
        {
            content: "show the customer display",
            trigger: "body",
            run: () => {
                document.getElementById(DISPLAY_FRAME).style.visibility = "visible";
            },
        },
        screenshot(name),
        {
            content: "hide the customer display",
            trigger: "body",
            run: () => {
                document.getElementById(DISPLAY_FRAME).style.visibility = "hidden";
            },
        },
    ];
}

export function receiptShowsMobilePay(text = "Paid with MobilePay") {
    return [
        {
            content: `the receipt says '${text}'`,
            trigger: `.pos-receipt .o_mobilepay_receipt_ref:contains("${text}")`,
        },
        {
            content: "the receipt shows the transaction reference",
            trigger: ".pos-receipt .o_mobilepay_receipt_ref:contains('Transaction:')",
        },
    ];
}

export function reload() {
    return {
        content: "reload the POS in the middle of the payment",
        trigger: "body",
        run: () => window.location.reload(),
        expectUnloadPage: true,
    };
}

/** The refund order's MobilePay line: the cashier sends the refund (refunds never start by themselves). */
export function clickSendRefund() {
    return PaymentScreen.clickRefundButton();
}
