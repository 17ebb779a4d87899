use crate::api::auth::current_user;
use crate::components::ui::SignInPrompt;
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await.ok().flatten() {
                    None => view! { <SignInPrompt next="/admin" /> }.into_any(),
                    Some(u) if !u.is_admin => view! {
                        <section class="card narrow"><h1>"Admins only"</h1><p>"This area is for the merchant's staff."</p></section>
                    }.into_any(),
                    Some(_) => view! {
                        <section class="card"><h1>"Admin"</h1></section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
