pub mod admin;
pub mod auth;
pub mod balance;
pub mod deposit;
pub mod home;
pub mod not_found;
pub mod withdraw;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A query parameter of the current URL (errors and prefills from form redirects).
pub fn query_param(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name)).filter(|v| !v.is_empty())
}

/// The fixed text for `?{name}=CODE` (see `api::messages`); nothing for an
/// unknown code, so a link can never put words of its own on a page.
pub fn query_message(name: &'static str) -> Option<String> {
    crate::api::messages::Message::from_query(query_param(name).as_deref(), query_param("wait").as_deref())
}
