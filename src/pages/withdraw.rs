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
                            <p class="muted">"Payouts to Indian bank accounts arrive in minutes, any time of day."</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
