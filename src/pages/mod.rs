pub mod admin;
pub mod auth;
pub mod balance;
pub mod deposit;
pub mod home;
pub mod not_found;
pub mod withdraw;

use leptos_router::hooks::use_query_map;
use leptos::prelude::*;

/// A query parameter of the current URL (errors and prefills from form redirects).
pub fn query_param(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name)).filter(|v| !v.is_empty())
}
