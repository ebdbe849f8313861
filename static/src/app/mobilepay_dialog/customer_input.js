import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus } from "@web/core/utils/hooks";
import { useBarcodeReader } from "@point_of_sale/app/hooks/barcode_reader_hook";
import { PERSONAL_QR, PHONE_NUMBER, QR_ON_SCREEN } from "@pos_mobilepay/app/mobilepay_state";

/** Whatever the nomenclature makes of a scanned code, it is the customer's code. */
const SCANNED_TYPES = [
    "product",
    "client",
    "cashier",
    "weight",
    "price",
    "discount",
    "coupon",
    "lot",
    "package",
    "location",
    "alias",
    "error",
];

/** A mobile number as a cashier types it: 8 digits, or + (or 00), the country code and the number. */
export function phoneNumberProblem(text) {
    const digits = (text || "").replace(/[\s().-]/g, "").replace(/^(\+|00)/, "");
    if (/^\d{8,15}$/.test(digits)) {
        return "";
    }
    return _t(
        "Type the customer's mobile number: 8 digits, or + with the country code and the number."
    );
}

/** The text of the customer's payment code: the whole of it, as the scanner reads it. */
export function customerCodeProblem(text) {
    if ((text || "").trim().length >= 5) {
        return "";
    }
    return _t("Scan the customer's code, or type or paste its whole text.");
}

/**
 * What addresses the customer before a payment is sent: the phone number the
 * cashier types, or the customer's payment code (the QR the MobilePay app shows)
 * read by the POS barcode scanner, or typed or pasted on a till without one.
 * Nothing is sent before Send (or a scan); the server checks it again.
 */
export class MobilePayCustomerInput extends Component {
    static template = "pos_mobilepay.MobilePayCustomerInput";
    static props = {
        flow: String,
        flows: Array,
        error: { type: [String, Boolean], optional: true },
        initial: { type: String, optional: true },
        busy: { type: Boolean, optional: true },
        onSubmit: Function,
        onSwitch: Function,
    };

    setup() {
        this.state = useState({ text: this.props.initial || "", problem: "", edited: false });
        this.PHONE_NUMBER = PHONE_NUMBER;
        this.PERSONAL_QR = PERSONAL_QR;
        if (this.props.flow === PHONE_NUMBER) {
            useAutofocus({ refName: "input" });
        }
        // A scan is the customer's code, whatever this shows (exclusive: no product is added).
        const onScan = (parsed) => this.onScan(parsed);
        useBarcodeReader(Object.fromEntries(SCANNED_TYPES.map((type) => [type, onScan])), true);
    }

    get isPhone() {
        return this.props.flow === PHONE_NUMBER;
    }

    get placeholder() {
        return this.isPhone ? _t("+45 12 34 56 78") : "https://qr.vipps.no/p/…";
    }

    get errorText() {
        return this.state.problem || (!this.state.edited && this.props.error) || "";
    }

    get otherFlows() {
        const labels = {
            [QR_ON_SCREEN]: _t("Show a QR code instead"),
            [PHONE_NUMBER]: _t("Use the phone number instead"),
            [PERSONAL_QR]: _t("Scan the customer's code instead"),
        };
        return this.props.flows
            .filter((flow) => flow !== this.props.flow && labels[flow])
            .map((flow) => ({ flow, label: labels[flow] }));
    }

    onInput() {
        this.state.problem = "";
        this.state.edited = true;
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.submit();
        }
    }

    submit() {
        if (this.props.busy) {
            return;
        }
        const text = this.state.text.trim();
        const problem = this.isPhone ? phoneNumberProblem(text) : customerCodeProblem(text);
        if (problem) {
            this.state.problem = problem;
            return;
        }
        this.state.edited = false;
        this.props.onSubmit(this.props.flow, text);
    }

    onScan(parsed) {
        const code = parsed?.code || "";
        if (
            this.props.busy ||
            !this.props.flows.includes(PERSONAL_QR) ||
            customerCodeProblem(code)
        ) {
            return;
        }
        this.state.text = code;
        this.state.edited = false;
        this.props.onSubmit(PERSONAL_QR, code);
    }
}
