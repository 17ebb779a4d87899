//! Withdraw by IMPS: the form (checked as you type by an island, and again
//! by the server), then a confirmation that shows exactly what will be sent
//! and posts a form of its own. Works without JavaScript: the form posts to
//! this page, which answers with the messages or the confirmation.

use super::query_message;
use crate::api::withdrawals::{CreateWithdrawal, get_withdraw_page};
use crate::components::island::island;
#[cfg(feature = "hydrate")]
use crate::components::island::{JsProps, hydrate_island};
use crate::components::ui::{ErrorNote, SignInPrompt, keep_what_was_typed};
use crate::domain::bank::{tidy_account_number, tidy_ifsc};
use crate::domain::withdrawal::amount_problem;
use crate::domain::{AccountHolder, AccountNumber, Ifsc, Money, Problem, WithdrawLimits};
use crate::i18n::{self, IslandTexts, Texts, t, t_with};
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
            <h1>{t("withdraw-title")}</h1>
            <p class="muted">{t("withdraw-lead")}</p>
            <div class="stats compact">
                <div class="stat"><div class="label">{t("withdraw-available")}</div><div class="value" data-testid="available">{Money::from_paise(v.available_paise).to_string()}</div></div>
                <div class="stat"><div class="label">{t("balance-held")}</div><div class="value" data-testid="held">{Money::from_paise(v.held_paise).to_string()}</div></div>
            </div>
            <ErrorNote message=error />
            {(!can_withdraw).then(|| view! {
                <div class="alert info" data-testid="nothing-to-withdraw">
                    {t_with("withdraw-nothing", &[("min", &Money::from_paise(v.min_paise).to_string())])}
                    " "
                    <a href="/deposit">{t("add-money")}</a>
                </div>
            })}
            <WithdrawForm limits input=v.input errors=v.errors texts=i18n::texts(WITHDRAW_KEYS, &["min", "max", "available"]) />
        </section>
    }
}

/// The four fields with their messages. Each is checked when it loses focus
/// and on submit (with the same rules the server applies, from `domain`); a
/// form with a problem is not sent. Fields the server found wrong start with
/// their message shown.
#[component]
fn WithdrawForm(
    limits: WithdrawLimits,
    input: WithdrawInput,
    errors: WithdrawFieldErrors,
    texts: Texts,
) -> impl IntoView {
    let props = {
        let (input, errors, texts) = (input.clone(), errors.clone(), texts.clone());
        move || serde_json::json!({ "limits": limits, "input": input, "errors": errors, "texts": texts }).to_string()
    };
    island("WithdrawForm", props, move || withdraw_form(limits, input, errors, texts))
}

/// The browser's entry point for [`WithdrawForm`] (see `components::island`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "WithdrawForm")]
pub fn hydrate_withdraw_form(el: web_sys::HtmlElement) {
    let p = JsProps::of(&el);
    let (limits, input, errors) = (p.field("limits"), p.field("input"), p.field("errors"));
    hydrate_island(
        &el,
        WithdrawForm(WithdrawFormProps {
            limits: WithdrawLimits {
                min_paise: limits.i64("min_paise"),
                max_paise: limits.i64("max_paise"),
                available_paise: limits.i64("available_paise"),
            },
            input: WithdrawInput {
                amount: input.string("amount"),
                account_number: input.string("account_number"),
                account_name: input.string("account_name"),
                ifsc: input.string("ifsc"),
                step: input.string("step"),
            },
            errors: WithdrawFieldErrors {
                amount: errors.string("amount"),
                account_number: errors.string("account_number"),
                account_name: errors.string("account_name"),
                ifsc: errors.string("ifsc"),
            },
            texts: p.texts("texts"),
        }),
    );
}

fn withdraw_form(
    limits: WithdrawLimits,
    input: WithdrawInput,
    errors: WithdrawFieldErrors,
    texts: Texts,
) -> impl IntoView {
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
            AccountNumber::parse(&tidy_account_number(&number.get())).err().map(Problem::from),
            AccountHolder::parse(&name.get()).err().map(Problem::from),
            Ifsc::parse(&tidy_ifsc(&ifsc.get())).err().map(Problem::from),
        ]
    };
    let texts = IslandTexts::new(texts);
    let say = move |p: &Problem| texts.fill(p.key, &p.values());
    let message = move |i: usize| if shown[i].get() { problems()[i].as_ref().map(say) } else { None };
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
                      label: String,
                      hint: String,
                      value: RwSignal<String>,
                      attrs: (&'static str, &'static str, &'static str)| {
        let (inputmode, autocomplete, placeholder) = attrs;
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = format!("{hint_id} {error_id}");
        let node = NodeRef::<leptos::html::Input>::new();
        keep_what_was_typed(node, value);
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
                    node_ref=node
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
    let tx = move |key: &str| texts.get(key);
    let amount_hint = texts.fill(
        "withdraw-amount-hint",
        &[
            ("min", &Money::from_paise(limits.min_paise).to_string()),
            ("max", &Money::from_paise(limits.max_paise).to_string()),
        ],
    );
    view! {
        <form method="post" action=WITHDRAW_PAGE class="stack" novalidate data-testid="withdraw-form" on:submit=on_submit>
            {field(0, "wd-amount", "amount", tx("field-amount"), amount_hint, amount, ("numeric", "off", "400"))}
            {field(1, "wd-account", "account_number", tx("withdraw-account"), tx("withdraw-account-hint"), number, ("numeric", "off", "000123456789"))}
            {field(2, "wd-name", "account_name", tx("withdraw-holder"), tx("withdraw-holder-hint"), name, ("text", "name", "Sita Devi"))}
            {field(3, "wd-ifsc", "ifsc", tx("withdraw-ifsc"), tx("withdraw-ifsc-hint"), ifsc, ("text", "off", "HDFC0001234"))}
            <button type="submit" class="button" data-testid="withdraw-review">{tx("withdraw-review")}</button>
        </form>
    }
}

/// What the withdraw form island says, translated on the server.
const WITHDRAW_KEYS: &[&str] = &[
    "field-amount",
    "withdraw-amount-hint",
    "withdraw-account",
    "withdraw-account-hint",
    "withdraw-holder",
    "withdraw-holder-hint",
    "withdraw-ifsc",
    "withdraw-ifsc-hint",
    "withdraw-review",
    "withdraw-whole-rupees",
    "amount-between",
    "withdraw-over-available",
    "msg-amount_empty",
    "msg-amount_not_a_number",
    "msg-amount_decimals",
    "msg-amount_not_positive",
    "msg-amount_too_large",
    "bank-account-empty",
    "bank-account-digits",
    "bank-account-length",
    "bank-holder-empty",
    "bank-holder-characters",
    "bank-holder-too-long",
    "bank-ifsc-empty",
    "bank-ifsc-format",
];

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
            <h1>{t("confirm-title")}</h1>
            <p class="muted">{t("confirm-lead")}</p>
            <dl class="summary">
                <dt>{t("col-amount")}</dt><dd class="big-amount" data-testid="confirm-amount">{amount.to_string()}</dd>
                <dt>{t("confirm-to-account")}</dt><dd class="mono" data-testid="confirm-account">{c.account_number.clone()}</dd>
                <dt>{t("withdraw-holder")}</dt><dd data-testid="confirm-name">{c.account_name.clone()}</dd>
                <dt>{t("confirm-ifsc")}</dt><dd class="mono" data-testid="confirm-ifsc">{c.ifsc.clone()}</dd>
                <dt>{t("confirm-available-after")}</dt><dd>{Money::from_paise(c.available_after_paise).to_string()}</dd>
            </dl>
            <p class="small muted">{t("confirm-note")}</p>
            <div class="row">
                <form method="post" action=CreateWithdrawal::PATH data-testid="confirm-form">
                    {hidden.clone()()}
                    <input type="hidden" name="request_key" value=c.request_key.clone() />
                    <button type="submit" class="button" data-testid="withdraw-confirm-button">{t_with("confirm-button", &[("amount", &amount.to_string())])}</button>
                </form>
                <form method="post" action=WITHDRAW_PAGE>
                    {hidden()}
                    <input type="hidden" name="step" value="edit" />
                    <button type="submit" class="button secondary" data-testid="withdraw-edit">{t("confirm-change")}</button>
                </form>
            </div>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::WITHDRAW_KEYS;
    use crate::domain::bank::BankFieldError::*;
    use crate::domain::money::MoneyError;
    use crate::domain::withdrawal::amount_problem;
    use crate::domain::{Problem, WithdrawLimits};
    use crate::i18n::{Lang, has_key};

    #[test]
    fn the_island_is_handed_every_sentence_it_can_show_in_both_languages() {
        let limits = WithdrawLimits { min_paise: 10_000, max_paise: 50_000, available_paise: 20_000 };
        let mut shown: Vec<Problem> = ["", "abc", "1.234", "0", "99999999999999999999", "100.50", "99", "600", "300"]
            .iter()
            .filter_map(|a| amount_problem(a, limits))
            .collect();
        shown.extend(
            [
                AccountNumberEmpty,
                AccountNumberNotDigits,
                AccountNumberLength,
                HolderEmpty,
                HolderCharacters,
                HolderTooLong,
                IfscEmpty,
                IfscFormat,
            ]
            .into_iter()
            .map(Problem::from),
        );
        shown.extend([MoneyError::Empty, MoneyError::NotANumber].into_iter().map(Problem::from));
        for p in &shown {
            assert!(WITHDRAW_KEYS.contains(&p.key), "{} is not handed to the island", p.key);
        }
        for key in WITHDRAW_KEYS {
            for lang in Lang::ALL {
                assert!(has_key(lang, key), "{lang:?} lacks {key}");
            }
        }
    }
}
