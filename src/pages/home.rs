use crate::api::auth::current_user;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = user.await.ok().flatten();
                view! {
                    <section class="hero">
                        <h1>"Top up by UPI in seconds"</h1>
                        <p class="lead">
                            "Scan a QR code or tap into Paytm, PhonePe or Google Pay. "
                            "Your balance updates the moment the payment lands."
                        </p>
                        {match user {
                            Some(u) => view! {
                                <p class="actions">
                                    <a class="button" href="/deposit">"Deposit"</a>
                                    <a class="button secondary" href="/balance">"Balance"</a>
                                </p>
                                <p class="muted">"Signed in as " <strong>{u.login}</strong></p>
                            }.into_any(),
                            None => view! {
                                <p class="actions">
                                    <a class="button" href="/signup">"Create account"</a>
                                    <a class="button secondary" href="/signin">"Sign in"</a>
                                </p>
                            }.into_any(),
                        }}
                    </section>
                    <section class="features">
                        <div class="card"><h2>"1. Choose an amount"</h2><p>"From ₹100 to ₹1,00,000, in rupees and paise."</p></div>
                        <div class="card"><h2>"2. Pay with any UPI app"</h2><p>"Scan the QR on a computer, or open your UPI app on the phone."</p></div>
                        <div class="card"><h2>"3. See it credited"</h2><p>"The page turns green as soon as the provider confirms."</p></div>
                    </section>
                }
            })}
        </Suspense>
    }
}
