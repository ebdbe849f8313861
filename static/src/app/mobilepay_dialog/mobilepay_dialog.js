import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Dialog } from "@web/core/dialog/dialog";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { MobilePayCustomerInput } from "@pos_mobilepay/app/mobilepay_dialog/customer_input";
import {
    AWAITING_CHECKIN,
    CUSTOMER_FLOWS,
    INPUT,
    PERSONAL_QR,
    PHONE_NUMBER,
    QR_ON_SCREEN,
    STARTING,
    STICKER,
    brandOf,
    canSwitchFlow,
    demoText,
    displayState,
    isDemoLine,
    mobilePayData,
    paymentSteps,
    qrImage,
    showsQr,
    stateHint,
    stateLabel,
    stateTone,
} from "@pos_mobilepay/app/mobilepay_state";

/** A name the POS already starts with "Order" (the receipt number of older orders) gets no second one. */
const ORDER_WORD = /^order\s+/i;

/**
 * The cashier's MobilePay dialog: the QR code the customer scans (the register's,
 * or the payment's one-time QR), the customer's phone number or code to send the
 * payment to, or the till's sticker to scan; the amount, and the live state of one
 * payment line, which it reads from the line itself (line.uiState.mobilepay), so
 * it shows whatever the bus or a poll brought in.
 */
export class MobilePayDialog extends Component {
    static template = "pos_mobilepay.MobilePayDialog";
    static components = { Dialog, MobilePayCustomerInput };
    static props = {
        lineUuid: String,
        transactions: Object,
        close: Function,
    };

    setup() {
        this.pos = usePos();
    }

    get line() {
        return this.pos.models["pos.payment"].find((l) => l.uuid === this.props.lineUuid);
    }

    get data() {
        return mobilePayData(this.line) || { state: STARTING, is_final: false };
    }

    get state() {
        return displayState(this.data);
    }

    get isRefund() {
        return this.data.kind === "refund";
    }

    /** "MobilePay" or "Vipps MobilePay": the method's API decides (see brandOf). */
    get brand() {
        return brandOf(this.line);
    }

    get title() {
        return this.isRefund ? _t("%(brand)s refund", { brand: this.brand }) : this.brand;
    }

    /** A demo method's payments go to the built-in emulator: the dialog says so, loudly. */
    get isDemo() {
        return isDemoLine(this.line);
    }

    get demoText() {
        return demoText();
    }

    get texts() {
        const brand = this.brand;
        return {
            qrCaption: _t("Scan with the %(brand)s app", { brand }),
            qrAlt: _t("%(brand)s QR code", { brand }),
            sticker: _t("Scan the %(brand)s sticker at the till", { brand }),
            onPhone: _t("Sent to the customer's %(brand)s app", { brand }),
        };
    }

    get amountText() {
        const amount = this.data.amount ?? Math.abs(this.line?.getAmount() || 0);
        return this.env.utils.formatCurrency(amount);
    }

    get label() {
        return stateLabel(this.data, this.brand);
    }

    get hint() {
        return stateHint(this.data, this.brand);
    }

    get tone() {
        return stateTone(this.data);
    }

    get qrImage() {
        return qrImage(this.data);
    }

    get isQrFlow() {
        return !this.isRefund && (this.data.flow || QR_ON_SCREEN) === QR_ON_SCREEN;
    }

    get showQr() {
        // "unknown": MobilePay may have the payment; the customer can still pay it.
        return showsQr(this.data);
    }

    /** The payment's QR comes with its create call, just after the start. */
    get preparingQr() {
        return (
            this.isQrFlow && !this.showQr && [STARTING, "new"].includes(this.data.state)
        );
    }

    /** The cashier types or scans what addresses the customer (kept up while it is sent). */
    get isInput() {
        const data = this.data;
        return (
            !this.isRefund &&
            (data.state === INPUT ||
                (data.state === STARTING && CUSTOMER_FLOWS.includes(data.flow)))
        );
    }

    get isSending() {
        return this.data.state === STARTING;
    }

    /** The till's sticker: waiting for the customer to scan it, or just scanned. */
    get showSticker() {
        return (
            this.state === AWAITING_CHECKIN ||
            (this.data.flow === STICKER && this.state === "checked_in")
        );
    }

    /** Phone number, customer's code or sticker: the payment is in the customer's app. */
    get showOnPhone() {
        return (
            !this.isRefund &&
            !this.isQrFlow &&
            !this.data.is_final &&
            ["checked_in", "waiting_for_approval", "reserved"].includes(this.data.state)
        );
    }

    get flows() {
        return this.line?.payment_method_id?.payment_terminal?.flows || [];
    }

    get typed() {
        return this.data.customer || this.props.transactions.typed[this.props.lineUuid] || "";
    }

    get isBusy() {
        return !this.data.is_final;
    }

    /**
     * Before the customer answered (a QR or a sticker nobody scanned yet), the cashier may send
     * the payment another way: it is cancelled, then sent again in that flow on the same line.
     */
    get switchFlows() {
        if (!canSwitchFlow(this.data)) {
            return [];
        }
        const labels = {
            [PHONE_NUMBER]: _t("Use the phone number instead"),
            [PERSONAL_QR]: _t("Scan the customer's code instead"),
            [QR_ON_SCREEN]: _t("Show a QR code instead"),
        };
        return this.flows
            .filter((flow) => flow !== this.data.flow && labels[flow])
            .map((flow) => ({ flow, label: labels[flow] }));
    }

    /** The payment ended unpaid and the line can start a new attempt (the line's Retry). */
    get canRetry() {
        return (
            this.data.is_final && !this.data.paid && this.line?.getPaymentStatus() === "retry"
        );
    }

    get steps() {
        if (this.isRefund || (this.data.is_final && !this.data.paid)) {
            return [];
        }
        const data = this.data;
        const state = this.state;
        const steps = paymentSteps(data);
        const current = steps.findIndex((step) => step.states.includes(state));
        return steps.map((step, index) => ({
            ...step,
            done: data.paid || (current >= 0 && index < current),
            current: !data.paid && index === current,
        }));
    }

    get orderName() {
        const order = this.line?.pos_order_id;
        return (order?.pos_reference || order?.name || "").replace(ORDER_WORD, "");
    }

    get orderText() {
        return this.orderName ? _t("Order %(name)s", { name: this.orderName }) : "";
    }

    onSubmitCustomer(flow, customer) {
        this.props.transactions.submitCustomer(this.props.lineUuid, flow, customer);
    }

    onSwitchFlow(flow) {
        if (flow === QR_ON_SCREEN) {
            this.props.transactions.submitCustomer(this.props.lineUuid, flow, "");
        } else {
            this.props.transactions.askCustomer(this.props.lineUuid, flow);
        }
    }

    /** The running payment is cancelled and sent again in another flow (see canSwitchFlow). */
    onSwitchRunning(flow) {
        this.props.transactions.switchFlow(this.props.lineUuid, flow);
    }

    async onCancel() {
        await this.props.transactions.cancelLine(this.props.lineUuid);
    }

    onRetry() {
        this.props.transactions.retry(this.props.lineUuid);
    }

    onClose() {
        this.props.close();
    }
}
