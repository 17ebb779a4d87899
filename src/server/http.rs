//! The HTTP surface: Leptos pages and server functions, plus plain axum routes
//! for outside callers (health, the provider's postbacks, live events).

use super::auth;
use super::config::Config;
use super::db::Db;
use super::events::{Change, Events};
use super::state::{AppState, ClientAddr, RequestUser};
use crate::app::{App, shell};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::paykassma::client::PaykassmaClient;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("portal")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .build()
}

async fn request_user(state: &AppState, headers: &http::HeaderMap) -> RequestUser {
    let Some(token) = auth::session_token_from_headers(headers, state.config.secure_cookies()) else {
        return RequestUser(None);
    };
    let idle_ms = state.config.auth.session_idle_timeout_secs as i64 * 1000;
    match auth::session_user(&state.db, &token, idle_ms).await {
        Ok(user) => RequestUser(user),
        Err(e) => {
            tracing::warn!(error = %e, "session lookup failed");
            RequestUser(None)
        }
    }
}

/// Where the admin server functions answer.
pub const ADMIN_API_PREFIX: &str = "/api/admin/";

/// The admin endpoints' gate, before any argument is read: 401 without a
/// session, 403 for a user who is not an admin, whatever the body (each
/// function checks again with `require_admin`).
fn admin_gate(path: &str, user: &RequestUser) -> Option<Response> {
    if !path.starts_with(ADMIN_API_PREFIX) {
        return None;
    }
    let refuse = |status: StatusCode, message: &str| {
        let body = serde_json::json!({ "error": message }).to_string();
        Some((status, [(http::header::CONTENT_TYPE, "application/json")], body).into_response())
    };
    match &user.0 {
        None => refuse(StatusCode::UNAUTHORIZED, "Please sign in."),
        Some(u) if !u.is_admin => refuse(StatusCode::FORBIDDEN, "Admins only."),
        Some(_) => None,
    }
}

async fn server_fn_handler(State(state): State<AppState>, request: Request<Body>) -> Response {
    let user = request_user(&state, request.headers()).await;
    if let Some(refused) = admin_gate(request.uri().path(), &user) {
        return refused;
    }
    let peer = request.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client =
        ClientAddr(super::throttle::client_ip(peer, request.headers(), state.config.auth.trust_x_forwarded_for));
    let lang = request.extensions().get::<Lang>().copied().unwrap_or_default();
    handle_server_fns_with_context(
        move || {
            provide_context(state.clone());
            provide_context(user.clone());
            provide_context(client);
            provide_context(lang);
        },
        request,
    )
    .await
    .into_response()
}

async fn leptos_routes_handler(State(state): State<AppState>, request: Request<Body>) -> Response {
    render_page(state, request, PostedForm::None).await
}

/// A form a page posted to itself, read by the router and given to the page.
#[derive(Clone)]
enum PostedForm {
    None,
    /// The postback inspector's pasted body.
    Pasted(crate::views::PastedPostback),
    /// The withdraw form (to check it, or to edit it again).
    Withdraw(crate::views::WithdrawInput),
}

/// Renders the page at the request's path, with the form it posted to itself.
async fn render_page(state: AppState, request: Request<Body>, posted: PostedForm) -> Response {
    let user = request_user(&state, request.headers()).await;
    let lang = request.extensions().get::<Lang>().copied().unwrap_or_default();
    let ctx_state = state.clone();
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_route_with_context(
        (*state.routes).clone(),
        move || {
            provide_context(ctx_state.clone());
            provide_context(user.clone());
            provide_context(lang);
            match posted.clone() {
                PostedForm::None => {}
                PostedForm::Pasted(p) => provide_context(p),
                PostedForm::Withdraw(w) => provide_context(w),
            }
        },
        move || shell(options.clone()),
    );
    handler(State(state), request).await.into_response()
}

/// What the inspector reads of a request: a body of BODY_LIMIT_BYTES,
/// URL-encoded (at most three bytes a byte), and the form's other fields.
fn inspector_read_limit(body_limit: usize) -> usize {
    body_limit.saturating_mul(3).saturating_add(1024)
}

/// The postback inspector's paste form posts to its own page, which renders
/// the inspection at once: no JavaScript needed, and the pasted body (a
/// signed body is a credential) never enters a URL, the history or a log.
/// Read here, outside the router-wide body limit: URL-encoding can triple a
/// body of BODY_LIMIT_BYTES, and a paste over what is read gets the page
/// with a clear sentence, not a bare 413. The page's server function
/// authorizes (admins only) and caps the decoded body at BODY_LIMIT_BYTES.
async fn inspector_paste(State(state): State<AppState>, request: Request<Body>) -> Response {
    use tokio_stream::StreamExt;
    let most = inspector_read_limit(state.config.body_limit_bytes);
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut raw = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if raw.len() + chunk.len() <= most => raw.extend_from_slice(&chunk),
            _ => {
                too_large = true;
                break;
            }
        }
    }
    let body = if too_large {
        String::new()
    } else {
        url::form_urlencoded::parse(&raw).find(|(k, _)| k == "body").map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    let request = as_page_request(parts);
    let mut response =
        render_page(state, request, PostedForm::Pasted(crate::views::PastedPostback { body, too_large })).await;
    if too_large {
        // The rest of the body was not read: the connection cannot carry another request.
        response.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The withdraw form posts to its own page, which answers with the messages
/// next to the fields or with the confirmation: no JavaScript needed, and the
/// account number never enters a URL, the history or a log. Nothing is held
/// until the confirmation's own form is sent.
async fn withdraw_form(State(state): State<AppState>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    // Four short fields; the router-wide body limit bounds what is read.
    let Ok(raw) = axum::body::to_bytes(body, state.config.body_limit_bytes).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    };
    let mut input = crate::views::WithdrawInput::default();
    for (k, v) in url::form_urlencoded::parse(&raw) {
        // Each value is short; a long one is cut, then refused by its parser.
        let v: String = v.chars().take(64).collect();
        match k.as_ref() {
            "amount" => input.amount = v,
            "account_number" => input.account_number = v,
            "account_name" => input.account_name = v,
            "ifsc" => input.ifsc = v,
            "step" => input.step = v,
            _ => {}
        }
    }
    render_page(state, as_page_request(parts), PostedForm::Withdraw(input)).await
}

/// A form a page posted to itself, as the GET of that page (its body read
/// already, handed to the page as a [`PostedForm`]); cookies and all else kept.
fn as_page_request(mut parts: http::request::Parts) -> Request<Body> {
    parts.method = http::Method::GET;
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.remove(http::header::CONTENT_TYPE);
    Request::from_parts(parts, Body::empty())
}

async fn healthz() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
}

async fn readyz(State(db): State<Db>) -> Response {
    if db.ping().await {
        ([(http::header::CONTENT_TYPE, "application/json")], r#"{"status":"ready","database":"ok"}"#).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(http::header::CONTENT_TYPE, "application/json")],
            r#"{"status":"unavailable","database":"unreachable"}"#,
        )
            .into_response()
    }
}

/// `GET /metrics` (Prometheus text format) for a signed-in admin or a
/// scraper sending `Authorization: Bearer <METRICS_TOKEN>`; 401 for anyone
/// else, with the same body whatever was wrong.
async fn metrics_handler(State(state): State<AppState>, headers: http::HeaderMap) -> Response {
    let authorization = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let allowed = super::metrics::bearer_matches(state.config.metrics_token.as_ref(), authorization)
        || matches!(request_user(&state, &headers).await, RequestUser(Some(u)) if u.is_admin);
    if !allowed {
        return (
            StatusCode::UNAUTHORIZED,
            [(http::header::WWW_AUTHENTICATE, "Bearer"), (http::header::CACHE_CONTROL, "no-store")],
            "Metrics are for admins: sign in as one, or send Authorization: Bearer <METRICS_TOKEN>.",
        )
            .into_response();
    }
    match super::metrics::render(&state).await {
        Ok(Some(text)) => (
            [
                (http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
                (http::header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Ok(None) => (StatusCode::SERVICE_UNAVAILABLE, "No metrics recorder in this process.").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "The database did not answer.").into_response()
        }
    }
}

/// The provider's postbacks go to their server function
/// (`api::postback::paykassma_postback`) through this route of their own:
/// - no session lookup (the provider has no cookie);
/// - `Accept: application/json` and no `Referer`, whatever the provider
///   sent: server_fn and leptos_axum treat a caller that accepts `text/html`
///   as a browser form post and add a redirect (`Location` to the referrer,
///   or to `/`); the reply is JSON in any case;
/// - outside the router-wide body limit layer, whose 413 is plain text: the
///   server function counts the bytes itself and answers 413 in JSON. A
///   declared `Content-Length` over the limit is refused here before the
///   body is read, with the same JSON.
async fn postback_handler(State(state): State<AppState>, mut request: Request<Body>) -> Response {
    let limit = state.config.body_limit_bytes;
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let reply = crate::views::PostbackReply::fail("the body is too large");
        let body = serde_json::to_string(&reply).unwrap_or_default();
        // The body is not read: the connection cannot carry another request.
        let headers = [(http::header::CONTENT_TYPE, "application/json"), (http::header::CONNECTION, "close")];
        return (StatusCode::PAYLOAD_TOO_LARGE, headers, body).into_response();
    }
    request.headers_mut().remove(http::header::REFERER);
    request.headers_mut().insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
    handle_server_fns_with_context(move || provide_context(state.clone()), request).await.into_response()
}

/// How often a live-status stream re-reads its deposit when it heard
/// nothing: a safety net only, since every change is pushed (in process, and
/// across processes through PostgreSQL's NOTIFY).
const SAFETY_NET_REREAD: Duration = Duration::from_secs(5);

/// Live status of one deposit as server-sent events (`event: status`).
/// Sends the current state first (missed events are not replayed), then every
/// change heard of: published in this process, or (PostgreSQL) announced by
/// another process's NOTIFY (`events::run_listener`). A re-read every
/// SAFETY_NET_REREAD covers whatever no one announced (a listener between
/// reconnects, a command-line process on SQLite). Ends once the deposit is settled,
/// after LIVE_STREAM_MAX_SECONDS (the browser's EventSource reconnects), or at
/// shutdown. Capped per user and overall (429 beyond); its database reads take
/// one of LIVE_STATUS_DB_CONNECTIONS permits, so watchers never starve crediting.
async fn deposit_events(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: http::HeaderMap,
) -> Response {
    use crate::views::LiveStatus;
    use axum::response::sse::{Event, KeepAlive, Sse};
    let RequestUser(Some(user)) = request_user(&state, &headers).await else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let slot = match state.limits.open_stream(user.id) {
        Ok(slot) => slot,
        Err(refused) => {
            tracing::warn!(user = %user.login, ?refused, "live status stream refused");
            return (StatusCode::TOO_MANY_REQUESTS, [(http::header::RETRY_AFTER, "10")], refused.message())
                .into_response();
        }
    };
    // Subscribed before the first read, so a change committed in between is heard.
    let mut events = state.events.subscribe();
    let first = {
        let _permit = state.limits.status_read().await;
        super::deposits::find_for(&state, &user, &id).await
    };
    let Ok(first) = first else {
        return (StatusCode::NOT_FOUND, "no such deposit").into_response();
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, std::convert::Infallible>>(16);
    let mut shutdown = state.shutdown.clone();
    let lifetime = Duration::from_secs(state.limits.config.live_stream_max_secs);
    tokio::spawn(async move {
        let _slot = slot;
        let ends = tokio::time::sleep(lifetime);
        tokio::pin!(ends);
        let to_event =
            |s: &LiveStatus| Event::default().event("status").data(serde_json::to_string(s).unwrap_or_default());
        let mut last = first.live();
        if tx.send(Ok(to_event(&last))).await.is_err() || last.status.is_terminal() {
            return;
        }
        let mut tick = tokio::time::interval(SAFETY_NET_REREAD);
        tick.reset();
        loop {
            let changed = tokio::select! {
                ev = events.recv() => match ev {
                    Ok(Change::Deposit(e)) => e.deposit_id == id,
                    Ok(Change::Resync) => true,
                    Ok(Change::Withdrawal { .. }) => false,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(_) => return,
                },
                _ = tick.tick() => true,
                _ = tx.closed() => return,
                _ = &mut ends => return,
                _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => return,
            };
            if !changed {
                continue;
            }
            let found = {
                let _permit = state.limits.status_read().await;
                super::deposits::find(&state, &id).await
            };
            let Ok(Some(d)) = found else { continue };
            let now = d.live();
            if now != last {
                last = now;
                if tx.send(Ok(to_event(&last))).await.is_err() || last.status.is_terminal() {
                    return;
                }
            }
        }
    });
    Sse::new(tokio_stream::wrappers::ReceiverStream::new(rx)).keep_alive(KeepAlive::default()).into_response()
}

/// `GET /admin/transactions.csv?<the list's filters>`: the filtered set as
/// CSV, streamed from the database as it is read (memory does not grow with
/// the row count). Admins only: 401 without a session, 403 for a user.
async fn transactions_csv(
    State(state): State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    headers: http::HeaderMap,
) -> Response {
    let user = request_user(&state, &headers).await;
    match user.0 {
        None => return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response(),
        Some(u) if !u.is_admin => return (StatusCode::FORBIDDEN, "Admins only.").into_response(),
        Some(_) => {}
    }
    let mut query = crate::views::TransactionQuery::default();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if v.len() > 200 {
            return (StatusCode::BAD_REQUEST, format!("{k}: at most 200 characters")).into_response();
        }
        query.set(&k, &v);
    }
    match super::admin::transactions::export(&state.db, &query) {
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Ok(rx) => {
            let stamp = crate::domain::time::ist_date(super::db::now_ms());
            let mut response = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)).into_response();
            let h = response.headers_mut();
            h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"transactions-{stamp}.csv\"")) {
                h.insert(http::header::CONTENT_DISPOSITION, v);
            }
            h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}

/// Bookmarks of the old admin search (`/admin?q=..&status=..`, before the
/// transactions list existed) land on the list with the same filters.
async fn old_admin_search(request: Request<Body>, next: axum::middleware::Next) -> Response {
    if request.uri().path() == "/admin"
        && let Some(query) = request.uri().query()
    {
        let mut moved = crate::views::TransactionQuery::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if k == "q" || k == "status" {
                moved.set(&k, &v);
            }
        }
        if !moved.q.is_empty() || !moved.status.is_empty() {
            let to = format!("/admin/transactions?{}", moved.to_query_string(false));
            return axum::response::Redirect::to(&to).into_response();
        }
    }
    next.run(request).await
}

/// The site's files (hashed names immutable, plain names revalidated, both
/// compressed as the request accepts), else the 404 page.
async fn static_file_or_not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    if let Some(found) = state.assets.respond(request.method(), request.uri().path(), request.headers()).await {
        return found;
    }
    let ctx_state = state.clone();
    let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        move || provide_context(ctx_state.clone()),
        shell,
    );
    not_found(request.uri().clone(), State(state), request).await
}

/// Pages compressed (Brotli or gzip, as the request accepts); never the
/// live-status stream (events must reach the browser as they happen), and not
/// what is compressed already (static files) or small and machine-read
/// (server-function answers, postbacks).
fn compress_html() -> CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::Predicate;
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};
    let html_only = |_: StatusCode, _: http::Version, headers: &http::HeaderMap, _: &http::Extensions| {
        headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    };
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .no_deflate()
        .no_zstd()
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("text/event-stream")).and(html_only))
}

/// HTTP_REQUEST_TIMEOUT_SECONDS for every request but the live-status stream,
/// which is long-lived by design and has its own maximum lifetime.
async fn request_timeout(
    State(limit): State<Duration>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/deposits/") && path.ends_with("/events") {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(seconds = limit.as_secs(), "request timed out");
            (StatusCode::REQUEST_TIMEOUT, "The request took too long.").into_response()
        }
    }
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let csp = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
         script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; connect-src 'self'; frame-src {}; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        origin_of(&state.config.plugin_url)
    );
    let x_request_id = HeaderName::from_static("x-request-id");
    let same_origin = Arc::new(super::csrf::SameOrigin { public_origin: state.config.public_origin() });
    let secure = state.config.secure_cookies();
    let request_limit = Duration::from_secs(state.config.limits.request_timeout_secs);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_handler))
        .route("/api/deposits/{id}/events", get(deposit_events))
        .route("/admin/transactions.csv", get(transactions_csv))
        .route("/api/{*fn_name}", get(server_fn_handler).post(server_fn_handler))
        .leptos_routes_with_handler((*state.routes).clone(), get(leptos_routes_handler))
        .fallback(static_file_or_not_found)
        .layer(axum::middleware::from_fn(old_admin_search))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // below the body limit layer: the postback counts its own bytes
        .route(super::postback::POSTBACK_PATH, post(postback_handler))
        // the postback inspector reads what a postback may be, URL-encoded
        // (GET is the page itself, above); its server function caps the body
        .route(crate::views::INSPECTOR_PAGE, post(inspector_paste))
        .route(crate::views::WITHDRAW_PAGE, post(withdraw_form))
        .route(
            crate::views::INSPECT_POSTBACK_FN,
            post(server_fn_handler).layer(RequestBodyLimitLayer::new(inspector_read_limit(body_limit))),
        )
        .layer(axum::middleware::from_fn_with_state(same_origin, super::csrf::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(secure, response_policies))
        .layer(axum::middleware::from_fn(choose_language))
        .layer(axum::middleware::from_fn_with_state(request_limit, request_timeout))
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(http::header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        ))
        .layer(compress_html())
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

/// The visitor's language, for pages and server functions (a request
/// extension the renderers provide as context): `?lang=` (then remembered in
/// a cookie for a year), else that cookie, else `Accept-Language`, else
/// English. Pages vary by these, so their answers say so.
async fn choose_language(mut request: Request<Body>, next: axum::middleware::Next) -> Response {
    let asked = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(&v))
    });
    let remembered = auth::cookie_value(request.headers(), LANG_COOKIE).and_then(|v| Lang::parse(&v));
    let browser = || {
        request
            .headers()
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
    };
    let lang = asked.or(remembered).or_else(browser).unwrap_or_default();
    request.extensions_mut().insert(lang);
    let mut response = next.run(request).await;
    if let Some(asked) = asked.filter(|a| Some(*a) != remembered) {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", asked.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    let html = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        response.headers_mut().append(http::header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    }
    response
}

/// `Cache-Control: no-store` on server-function answers and on pages rendered
/// for a signed-in visitor (a shared or back-button cache must not keep
/// them); HSTS when the portal is served over https.
async fn response_policies(
    State(secure): State<bool>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let signed_in = auth::session_token_from_headers(request.headers(), secure).is_some();
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if api || (signed_in && html) {
        headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        headers.insert(http::header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| "'none'".into())
}

/// A running portal (and sandbox, when on). Dropping it does not stop it; call `shutdown`.
pub struct Running {
    pub addr: SocketAddr,
    pub sandbox_addr: Option<SocketAddr>,
    pub config: Arc<Config>,
    pub db: Db,
    /// What every request sees (tests drive the reconciler through it).
    pub state: AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.db.close().await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Db(#[from] super::db::DbError),
    #[error("provider client: {0}")]
    Provider(String),
    #[error("sandbox: {0}")]
    Sandbox(String),
}

/// The sandbox's settings from the portal's configuration: the same demo
/// credentials, and postbacks aimed at this portal.
#[cfg(feature = "sandbox")]
pub fn sandbox_config(config: &Config) -> crate::sandbox::SandboxConfig {
    let mut s = crate::sandbox::SandboxConfig::demo(
        format!("http://{}", config.sandbox_addr),
        config.postback_url(),
        config.sandbox_database_url.clone(),
    );
    s.api_secret = config.api_secret.clone();
    s.access_key = config.postback_access_key.clone();
    s.private_key = config.postback_private_key.clone();
    s.withdrawal_key = config.withdrawal_key.clone();
    s.retry_schedule = config.sandbox_retry_schedule.clone();
    s.auto_withdrawal_after = config.sandbox_auto_withdrawal_secs.map(std::time::Duration::from_secs);
    s
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

/// What every request sees, for a process that serves or runs one job
/// (`portal reconcile --once`) on a connected, migrated database.
pub fn app_state(
    config: Arc<Config>,
    db: Db,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<AppState, StartError> {
    let provider = PaykassmaClient::new(
        &config.api_url,
        config.api_secret.clone(),
        config.withdrawal_key.clone(),
        Duration::from_millis(config.provider_timeout_ms.min(5_000)),
        Duration::from_millis(config.provider_timeout_ms),
    )
    .map_err(|e| StartError::Provider(e.to_string()))?;
    Ok(AppState {
        leptos_options: leptos_options(&config),
        postbacks: super::postback::PostbackCommits::start(db.clone()),
        db,
        routes: Arc::new(generate_route_list(App)),
        assets: Arc::new(super::assets::Assets::load(&config.site_root)),
        provider,
        events: Events::default(),
        hashing: auth::PasswordHashing::from_limits(&config.auth),
        limits: super::limits::Limits::new(config.limits.clone()),
        shutdown,
        config,
    })
}

/// Connects, migrates, binds and serves. Port 0 in the config picks a free
/// port; URLs derived from the addresses follow the ports actually bound.
pub async fn start(mut config: Config) -> Result<Running, StartError> {
    let site_listener = bind(config.site_addr).await?;
    let site_addr = site_listener.local_addr().map_err(|source| StartError::Bind { addr: config.site_addr, source })?;
    if config.public_url == format!("http://{}", config.site_addr) {
        config.public_url = format!("http://{site_addr}");
    }
    config.site_addr = site_addr;

    // Config refuses SANDBOX=on in live mode; this guard keeps it so if a
    // caller builds a Config by hand.
    let sandbox_listener = if config.sandbox && !config.provider_env.is_live() {
        let l = bind(config.sandbox_addr).await?;
        let actual = l.local_addr().map_err(|source| StartError::Bind { addr: config.sandbox_addr, source })?;
        if config.api_url == format!("http://{}", config.sandbox_addr) {
            config.api_url = format!("http://{actual}");
        }
        if config.plugin_url == format!("http://{}/plugin", config.sandbox_addr) {
            config.plugin_url = format!("http://{actual}/plugin");
        }
        config.sandbox_addr = actual;
        Some(l)
    } else {
        None
    };

    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let config = Arc::new(config);
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();

    let state = app_state(config.clone(), db.clone(), shutdown_rx.clone())?;
    super::metrics::install();
    if db.backend == super::db::Backend::Postgres {
        // Listening before the first request is served, so no change made
        // by another process after this start is missed; if it fails now,
        // the task keeps trying (streams re-read meanwhile).
        let first =
            match tokio::time::timeout(Duration::from_secs(5), super::events::listen(&config.database_url)).await {
                Ok(Ok(listener)) => Some(listener),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "status notifications: cannot listen yet");
                    None
                }
                Err(_) => {
                    tracing::warn!("status notifications: cannot listen yet (no answer in 5 s)");
                    None
                }
            };
        tasks.push(tokio::spawn(super::events::run_listener(
            config.database_url.clone(),
            first,
            state.events.clone(),
            shutdown_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(super::metrics::run_upkeep(shutdown_rx.clone())));
    tasks.push(tokio::spawn(super::deposits::run_reconciler(
        state.clone(),
        Duration::from_secs(config.reconcile_interval_secs),
        shutdown_rx.clone(),
    )));
    tasks.push(tokio::spawn(auth::run_purger(db.clone(), config.auth.clone(), shutdown_rx.clone())));
    if !cfg!(debug_assertions) {
        // a release server compresses its assets before anyone asks (a debug
        // one, started by the tests many times, when first asked)
        let assets = state.assets.clone();
        tokio::task::spawn_blocking(move || assets.precompress());
    }
    let app = router(state.clone());
    tasks.push(tokio::spawn(serve(site_listener, app, config.limits.clone(), shutdown_rx.clone())));
    tracing::info!(addr = %site_addr, database = db.backend.name(), "portal listening");

    let sandbox_addr = sandbox_listener.as_ref().and_then(|l| l.local_addr().ok());
    #[cfg(not(feature = "sandbox"))]
    if sandbox_listener.is_some() {
        // The configuration refuses SANDBOX=on in a build without it.
        return Err(StartError::Sandbox(super::config::NO_SANDBOX.to_string()));
    }
    #[cfg(feature = "sandbox")]
    if let Some(listener) = sandbox_listener {
        let sandbox_config = sandbox_config(&config);
        let handle = crate::sandbox::spawn(sandbox_config, listener, shutdown_rx.clone())
            .await
            .map_err(|e| StartError::Sandbox(e.to_string()))?;
        tasks.push(handle);
        tracing::info!(addr = ?sandbox_addr, "provider sandbox listening");
    }

    Ok(Running { addr: site_addr, sandbox_addr, config, db, state, shutdown: shutdown_tx, tasks })
}

/// The accept loop: at most HTTP_MAX_CONNECTIONS connections at once (more
/// wait briefly, then are closed), each must send its request headers within
/// HTTP_HEADER_READ_TIMEOUT_SECONDS (slowloris). On shutdown: stop accepting,
/// let every connection finish the request in flight, then return.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: super::config::ResourceLimits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    let max = limits.max_connections.max(1);
    let connections = Arc::new(tokio::sync::Semaphore::new(max));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs));
    let builder = Arc::new(builder);
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => break,
        };
        let permit = match tokio::time::timeout(Duration::from_millis(200), connections.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                tracing::warn!(%remote, max, "connection limit reached; connection closed");
                drop(stream);
                continue;
            }
        };
        // Without TCP_NODELAY keep-alive answers wait ~40 ms for delayed ACKs.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let mut closing = closing_rx.clone();
        let idle_limit = Duration::from_secs(limits.header_read_timeout_secs);
        tokio::spawn(async move {
            let _permit = permit;
            let (stream, activity) = Watched::new(stream);
            let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(remote));
                let mut app = app.clone();
                async move { tower::Service::call(&mut app, request.map(Body::new)).await }
            });
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(conn);
            // hyper times out headers once they start; a connection that sends
            // nothing at all (before its first request or between keep-alive
            // requests) would hold its slot forever. No byte either way for the
            // header timeout: finish what is in flight (a live-status stream
            // runs to its end), then close.
            let mut watch = tokio::time::interval((idle_limit / 4).max(Duration::from_millis(100)));
            let mut winding_down = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, %remote, "connection ended with an error");
                        }
                        break;
                    }
                    _ = async { let _ = closing.wait_for(|c| *c).await; }, if !winding_down => {
                        winding_down = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = watch.tick(), if !winding_down => {
                        if activity.idle() >= idle_limit {
                            winding_down = true;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Every connection holds a permit: all permits back = all connections done.
    let _ = connections.acquire_many(max as u32).await;
}

/// A connection's socket that remembers when a byte last went either way.
struct Watched {
    inner: tokio::net::TcpStream,
    activity: Activity,
}

#[derive(Clone)]
struct Activity {
    since: std::time::Instant,
    last_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Activity {
    fn touch(&self) {
        let ms = self.since.elapsed().as_millis() as u64;
        self.last_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = self.last_ms.load(std::sync::atomic::Ordering::Relaxed);
        self.since.elapsed().saturating_sub(Duration::from_millis(last))
    }
}

impl Watched {
    fn new(inner: tokio::net::TcpStream) -> (Watched, Activity) {
        let activity = Activity { since: std::time::Instant::now(), last_ms: Arc::new(0.into()) };
        (Watched { inner, activity: activity.clone() }, activity)
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, std::task::Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        polled
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = std::pin::Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
