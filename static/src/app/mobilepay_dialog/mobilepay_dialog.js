import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Dialog } from "@web/core/dialog/dialog";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import {
    STARTING,
    mobilePayData,
    paymentSteps,
    stateHint,
    stateLabel,
    stateTone,
} from "@pos_mobilepay/app/mobilepay_state";

/**
 * The cashier's MobilePay dialog: the PoS QR code (for payments), the amount,
 * and the live state of one payment line, which it reads from the line itself
 * (line.uiState.mobilepay), so it shows whatever the bus or a poll brought in.
 */
export class MobilePayDialog extends Component {
    static template = "pos_mobilepay.MobilePayDialog";
    static components = { Dialog };
    static props = {
        lineUuid: String,
        terminal: Object,
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

    get isRefund() {
        return this.data.kind === "refund";
    }

    get title() {
        return this.isRefund ? _t("MobilePay refund") : _t("MobilePay");
    }

    get amountText() {
        const amount = this.data.amount ?? Math.abs(this.line?.get_amount() || 0);
        return this.env.utils.formatCurrency(amount);
    }

    get label() {
        return stateLabel(this.data);
    }

    get hint() {
        return stateHint(this.data);
    }

    get tone() {
        return stateTone(this.data);
    }

    get showQr() {
        const data = this.data;
        return (
            !this.isRefund &&
            Boolean(data.qr_svg) &&
            !data.is_final &&
            // "unknown": MobilePay may have the payment; the customer can still pay it.
            ["unknown", "waiting_for_customer", "checked_in", "waiting_for_approval"].includes(data.state)
        );
    }

    get isBusy() {
        return !this.data.is_final;
    }

    get steps() {
        if (this.isRefund || (this.data.is_final && !this.data.paid)) {
            return [];
        }
        const steps = paymentSteps();
        const data = this.data;
        const current = steps.findIndex((step) => step.states.includes(data.state));
        return steps.map((step, index) => ({
            ...step,
            done: data.paid || (current >= 0 && index < current),
            current: !data.paid && index === current,
        }));
    }

    get orderName() {
        const order = this.line?.pos_order_id;
        return order?.pos_reference || order?.name || "";
    }

    async onCancel() {
        await this.props.terminal.cancelLine(this.props.lineUuid);
    }

    onClose() {
        this.props.close();
    }
}
