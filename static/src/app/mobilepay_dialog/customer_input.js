import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus } from "@web/core/utils/hooks";
import { useBarcodeReader } from "@point_of_sale/app/hooks/barcode_reader_hook";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
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

/**
 * Mobile numbers of the countries Vipps MobilePay serves: digits after the country code, and the
 * trunk prefix of a number typed without it. The server checks the same (mobilepay/epayment/
 * provider_terms.py, msisdn); any other country: the whole number has 10 to 15 digits.
 */
const MOBILE_LENGTHS = { 45: [8, 8, ""], 47: [8, 8, ""], 358: [7, 10, "0"] };
const COUNTRY_CALLING_CODES = { DK: "45", NO: "47", FI: "358" };
const CURRENCY_CALLING_CODES = { DKK: "45", NOK: "47", EUR: "358" };
const WHOLE_NUMBER = /^[1-9]\d{9,14}$/;

/**
 * The country a number typed without its code belongs to, as the server reads it: the
 * company's country, or for a company without one the market of its currency.
 */
export function shopCallingCode(pos) {
    const country = pos?.company?.country_id;
    if (country) {
        return COUNTRY_CALLING_CODES[country.code] || null;
    }
    return CURRENCY_CALLING_CODES[pos?.currency?.name] || null;
}

function lengthProblem(code) {
    switch (code) {
        case "45":
            return _t("A Danish mobile number has 8 digits after +45.");
        case "47":
            return _t("A Norwegian mobile number has 8 digits after +47.");
        default:
            return _t("A Finnish mobile number has 7 to 10 digits after +358.");
    }
}

/**
 * What is wrong with a mobile number as a cashier types it (8 digits of the shop's country, or
 * + or 00, the country code and the number), or "" when it can be sent. A number of Denmark,
 * Norway or Finland must have that country's length: nothing is sent otherwise.
 */
export function phoneNumberProblem(text, countryCode = null) {
    const typed = (text || "").replace(/[\s().-]/g, "");
    let digits = typed;
    const international = /^(\+|00)/.test(typed);
    if (international) {
        digits = typed.replace(/^(\+|00)/, "");
    } else if (MOBILE_LENGTHS[countryCode]) {
        const [shortest, longest, trunk] = MOBILE_LENGTHS[countryCode];
        const local = trunk && typed.startsWith(trunk) ? typed.slice(trunk.length) : typed;
        if (
            (!trunk || typed.startsWith(trunk)) &&
            /^\d+$/.test(local) &&
            local.length >= shortest &&
            local.length <= longest
        ) {
            digits = countryCode + local;
        }
    }
    const code = /^\d+$/.test(digits)
        ? Object.keys(MOBILE_LENGTHS).find((c) => digits.startsWith(c))
        : undefined;
    if (code) {
        const [shortest, longest] = MOBILE_LENGTHS[code];
        const after = digits.length - code.length;
        if (after < shortest || after > longest) {
            return lengthProblem(code);
        }
    }
    if (WHOLE_NUMBER.test(digits)) {
        return "";
    }
    if (!international && MOBILE_LENGTHS[countryCode] && /^\d+$/.test(typed)) {
        return lengthProblem(countryCode);
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
        this.pos = usePos();
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
        const problem = this.isPhone
            ? phoneNumberProblem(text, shopCallingCode(this.pos))
            : customerCodeProblem(text);
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
