use leptos::prelude::*;

#[component]
pub fn DepositPage() -> impl IntoView {
    view! { <section class="card"><h1>"Deposit"</h1></section> }
}

#[component]
pub fn PaymentPage() -> impl IntoView {
    view! { <section class="card"><h1>"Payment"</h1></section> }
}
