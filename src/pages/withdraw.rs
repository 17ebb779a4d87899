//! Withdraw by IMPS: the form (checked as you type by an island, and again
//! by the server), then a confirmation that shows exactly what will be sent
//! and posts a form of its own. Works without JavaScript: the form posts to
//! this page, which answers with the messages or the confirmation.

use super::query_message;
use crate::api::withdrawals::{CreateWithdrawal, get_withdraw_page};
use crate::components::ui::{ErrorNote, SignInPrompt};
use crate::domain::bank::{tidy_account_number, tidy_ifsc};
use crate::domain::withdrawal::amount_problem;
use crate::domain::{AccountHolder, AccountNumber, Ifsc, Money, WithdrawLimits};
use crate::views::{WITHDRAW_PAGE, WithdrawConfirm, WithdrawFieldErrors, WithdrawInput, WithdrawPageView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn WithdrawPage() -> impl IntoView {
    let posted = use_context::<WithdrawInput>();
    let error = query_message("error");
    let page = Resource::new(move || posted.clone(), get_withdraw_page);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let error = error.clone();
                Suspend::new(async move {
                    match page.await {
                        Err(e) if e.to_string().contains("sign in") => view! { <SignInPrompt next="/withdraw" /> }.into_any(),
                        Err(e) => view! { <section class="card narrow"><ErrorNote message=e.to_string() /></section> }.into_any(),
                        Ok(v) => match v.confirm.clone() {
                            Some(c) => view! { <ConfirmStep c /> }.into_any(),
                            None => view! { <FormStep v error /> }.into_any(),
                        },
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn FormStep(v: WithdrawPageView, error: Option<String>) -> impl IntoView {
    let limits = WithdrawLimits { min_paise: v.min_paise, max_paise: v.max_paise, available_paise: v.available_paise };
    let can_withdraw = v.available_paise >= v.min_paise;
    view! {
        <section class="card narrow">
            <h1>"Withdraw by IMPS"</h1>
            <p class="muted">"Money goes to your Indian bank account by IMPS, usually within minutes."</p>
            <div class="stats compact">
                <div class="stat"><div class="label">"Available"</div><div class="value" data-testid="available">{Money::from_paise(v.available_paise).to_string()}</div></div>
                <div class="stat"><div class="label">"Held for withdrawals"</div><div class="value" data-testid="held">{Money::from_paise(v.held_paise).to_string()}</div></div>
            </div>
            <ErrorNote message=error />
            {(!can_withdraw).then(|| view! {
                <div class="alert info" data-testid="nothing-to-withdraw">
                    {format!("You can withdraw from {} once your available balance reaches it. ", Money::from_paise(v.min_paise))}
                    <a href="/deposit">"Add money"</a>
                </div>
            })}
            <WithdrawForm limits input=v.input errors=v.errors />
        </section>
    }
}

/// The four fields with their messages. Each is checked when it loses focus
/// and on submit (with the same rules the server applies, from `domain`); a
/// form with a problem is not sent. Fields the server found wrong start with
/// their message shown.
#[island]
fn WithdrawForm(limits: WithdrawLimits, input: WithdrawInput, errors: WithdrawFieldErrors) -> impl IntoView {
    let amount = RwSignal::new(input.amount);
    let number = RwSignal::new(input.account_number);
    let name = RwSignal::new(input.account_name);
    let ifsc = RwSignal::new(input.ifsc);
    let shown = [
        RwSignal::new(!errors.amount.is_empty()),
        RwSignal::new(!errors.account_number.is_empty()),
        RwSignal::new(!errors.account_name.is_empty()),
        RwSignal::new(!errors.ifsc.is_empty()),
    ];
    let problems = move || {
        [
            amount_problem(&amount.get(), limits),
            AccountNumber::parse(&tidy_account_number(&number.get())).err().map(|e| e.to_string()),
            AccountHolder::parse(&name.get()).err().map(|e| e.to_string()),
            Ifsc::parse(&tidy_ifsc(&ifsc.get())).err().map(|e| e.to_string()),
        ]
    };
    let message = move |i: usize| if shown[i].get() { problems()[i].clone() } else { None };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        for s in shown {
            s.set(true);
        }
        if problems().iter().any(Option::is_some) {
            ev.prevent_default();
        }
    };
    let field = move |i: usize,
                      id: &'static str,
                      name_attr: &'static str,
                      label: &'static str,
                      hint: String,
                      value: RwSignal<String>,
                      attrs: (&'static str, &'static str, &'static str)| {
        let (inputmode, autocomplete, placeholder) = attrs;
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = format!("{hint_id} {error_id}");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    name=name_attr
                    inputmode=inputmode
                    autocomplete=autocomplete
                    placeholder=placeholder
                    maxlength="40"
                    spellcheck="false"
                    data-testid=name_attr
                    aria-describedby=described
                    aria-invalid=move || if message(i).is_some() { "true" } else { "false" }
                    value=value.get_untracked()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| shown[i].set(true)
                />
                <small class="hint" id=hint_id>{hint}</small>
                <div class="field-error" id=error_id role="alert" data-testid=format!("error-{name_attr}")>
                    {move || message(i)}
                </div>
            </div>
        }
    };
    let amount_hint = format!(
        "Whole rupees, from {} to {}",
        Money::from_paise(limits.min_paise),
        Money::from_paise(limits.max_paise)
    );
    view! {
        <form method="post" action=WITHDRAW_PAGE class="stack" novalidate data-testid="withdraw-form" on:submit=on_submit>
            {field(0, "wd-amount", "amount", "Amount in rupees", amount_hint, amount, ("numeric", "off", "400"))}
            {field(1, "wd-account", "account_number", "Bank account number", "9 to 18 digits".into(), number, ("numeric", "off", "000123456789"))}
            {field(2, "wd-name", "account_name", "Account holder's name", "As the bank has it: English letters and spaces, up to 30".into(), name, ("text", "name", "Sita Devi"))}
            {field(3, "wd-ifsc", "ifsc", "IFSC code", "11 characters, on your cheque book or passbook, like HDFC0001234".into(), ifsc, ("text", "off", "HDFC0001234"))}
            <button type="submit" class="button" data-testid="withdraw-review">"Review withdrawal"</button>
        </form>
    }
}

#[component]
fn ConfirmStep(c: WithdrawConfirm) -> impl IntoView {
    let amount = Money::from_paise(c.amount_paise);
    let rupees = (c.amount_paise / 100).to_string();
    let hidden = {
        let c = c.clone();
        let rupees = rupees.clone();
        move || {
            view! {
                <input type="hidden" name="amount" value=rupees.clone() />
                <input type="hidden" name="account_number" value=c.account_number.clone() />
                <input type="hidden" name="account_name" value=c.account_name.clone() />
                <input type="hidden" name="ifsc" value=c.ifsc.clone() />
            }
        }
    };
    view! {
        <section class="card narrow" data-testid="withdraw-confirm">
            <h1>"Confirm your withdrawal"</h1>
            <p class="muted">"Check the details: this is exactly what is sent to the bank by IMPS."</p>
            <dl class="summary">
                <dt>"Amount"</dt><dd class="big-amount" data-testid="confirm-amount">{amount.to_string()}</dd>
                <dt>"To account"</dt><dd class="mono" data-testid="confirm-account">{c.account_number.clone()}</dd>
                <dt>"Account holder"</dt><dd data-testid="confirm-name">{c.account_name.clone()}</dd>
                <dt>"IFSC"</dt><dd class="mono" data-testid="confirm-ifsc">{c.ifsc.clone()}</dd>
                <dt>"Available after"</dt><dd>{Money::from_paise(c.available_after_paise).to_string()}</dd>
            </dl>
            <p class="small muted">"The amount is reserved from your balance when you confirm. If the bank refuses the transfer, it comes back to your available balance."</p>
            <div class="row">
                <form method="post" action=CreateWithdrawal::PATH data-testid="confirm-form">
                    {hidden.clone()()}
                    <input type="hidden" name="request_key" value=c.request_key.clone() />
                    <button type="submit" class="button" data-testid="withdraw-confirm-button">{format!("Withdraw {amount}")}</button>
                </form>
                <form method="post" action=WITHDRAW_PAGE>
                    {hidden()}
                    <input type="hidden" name="step" value="edit" />
                    <button type="submit" class="button secondary" data-testid="withdraw-edit">"Change details"</button>
                </form>
            </div>
        </section>
    }
}
