use leptos::prelude::*;

#[component]
pub fn BalancePage() -> impl IntoView {
    view! { <section class="card"><h1>"Balance"</h1></section> }
}
