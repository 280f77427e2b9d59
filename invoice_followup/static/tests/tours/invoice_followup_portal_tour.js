/** @odoo-module **/
// The customer opens the statement link of a follow-up mail (no login), confirms
// receipt of the oldest invoice, asks a question about it, promises a date for
// the second one, then pays the first one with the demo payment provider.
import { registry } from "@web/core/registry";

function inDays(days) {
    const date = new Date();
    date.setDate(date.getDate() + days);
    return date.toISOString().slice(0, 10);
}

registry.category("web_tour.tours").add("invoice_followup_portal_tour", {
    steps: () => [
        {
            content: "Confirm that the oldest invoice arrived",
            trigger: ".o_followup_line:first-child a.o_followup_confirm",
            run: "click",
        },
        { trigger: "input[name=name]", run: "edit Omar Al-Harbi" },
        { trigger: ".o_followup_submit", run: "click" },
        { content: "Thanked", trigger: ".o_followup_message" },
        {
            content: "Ask a question about the same invoice",
            trigger: ".o_followup_line:first-child a.o_followup_question",
            run: "click",
        },
        { trigger: "input[name=name]", run: "edit Omar Al-Harbi" },
        { trigger: "select[name=reason]", run: "selectByLabel Amount or goods disputed" },
        { trigger: "textarea[name=note]", run: "edit We ordered 10 units, not 12." },
        { trigger: ".o_followup_submit", run: "click" },
        { content: "Thanked again", trigger: ".o_followup_message" },
        {
            content: "Ask for more time on the second invoice",
            trigger: ".o_followup_line:nth-child(2) a.o_followup_promise",
            run: "click",
        },
        { trigger: "input[name=name]", run: "edit Omar Al-Harbi" },
        {
            trigger: "input[name=date]",
            run() {
                this.anchor.value = inDays(7);
            },
        },
        { trigger: "select[name=reason]", run: "selectByLabel Cash-flow difficulty" },
        { trigger: ".o_followup_submit", run: "click" },
        { content: "Promise noted", trigger: ".o_followup_message" },
        {
            content: "Pay the first invoice online",
            trigger: ".o_followup_line:first-child a.o_followup_pay",
            run: "click",
        },
        {
            content: "Pay with the demo provider",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
        },
        { trigger: "body:contains(Your payment has been successfully processed.)" },
    ],
});
