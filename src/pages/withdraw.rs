use crate::api::auth::current_user;
use crate::components::ui::SignInPrompt;
use leptos::prelude::*;

#[component]
pub fn WithdrawPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    None => view! { <SignInPrompt next="/withdraw" /> }.into_any(),
                    Some(_) => view! {
                        <section class="card narrow">
                            <h1>"Withdraw by IMPS"</h1>
                            <div class="alert info">"Withdrawals to Indian bank accounts by IMPS are not open yet. Your balance stays safe on your account in the meantime."</div>
                            <p><a class="button secondary" href="/balance">"See balance"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
