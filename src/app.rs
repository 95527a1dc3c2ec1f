//! Wiring for `serve` (and the demo): storage, bot, HTTP, background tasks, shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use teloxide::{payloads::SetWebhookSetters, prelude::Requester};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    bot::{
        self,
        dispatch::Dispatcher,
        pacer::{Lane, PacedMessenger, Pacer},
        telegram::TelegramMessenger,
    },
    config::Config,
    http,
    shop::Shop,
    store::Db,
};

/// A started shop. Dropping it does not stop it; call [`Running::shutdown`].
pub struct Running {
    pub shop: Shop,
    pub dispatcher: Dispatcher,
    pub http_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// `DATA_DIR/quickcart.lock`, held until the process ends (restore and rekey refuse meanwhile).
    _lock: crate::ops::lock::DataLock,
}

/// Opens the databases and starts the bot, the HTTP server and the background workers.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let (token, key) = config.require_serve()?;
    crate::security::redact::register_secrets(config.secret_values());
    let lock = crate::ops::lock::acquire(&config.data_dir, "serve")?;
    let db = Db::open(&config.data_dir, key)?;
    let bot = bot::client(&config, token.expose())?;
    let config = Arc::new(config);
    let pay: Option<Arc<dyn crate::shop::ports::PaymentGateway>> = match &config.pakasir {
        Some(p) => Some(Arc::new(crate::pakasir::client::PakasirClient::new(p.clone())?)),
        None => None,
    };
    let telegram: Arc<dyn crate::shop::ports::Messenger> = Arc::new(TelegramMessenger::new(bot.clone()));
    let pacer = Pacer::new(
        config.telegram_messages_per_second,
        Duration::from_millis(u64::from(config.telegram_chat_pacing_ms)),
    );
    let paced = |lane| Arc::new(PacedMessenger::new(telegram.clone(), pacer.clone(), lane));
    let senders = crate::shop::ports::Senders {
        replies: paced(Lane::Interactive),
        background: paced(Lane::Background),
        bulk: paced(Lane::Bulk),
    };
    let shop = Shop::new(db.clone(), config.clone(), senders, pay);
    let dispatcher = Dispatcher::new(shop.clone());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let listener = tokio::net::TcpListener::bind(config.http_bind)
        .await
        .with_context(|| format!("HTTP_BIND {} tidak dapat dipakai", config.http_bind))?;
    let http_addr = listener.local_addr()?;
    let rejections = http::rejections::RejectionLog::new(db.clone());
    let state = http::HttpState {
        limiter: http::webhook_limiter(&config),
        rejections: rejections.clone(),
        db: db.clone(),
        dispatcher: dispatcher.clone(),
        shop: shop.clone(),
        telegram_secret: config.webhook_url.as_ref().and(config.webhook_secret.clone()).map(Arc::new),
    };
    // Both listeners with header and body read timeouts (axum::serve has none).
    tasks.push(tokio::spawn(http::server::serve(listener, http::router(state), shutdown_rx.clone())));
    tasks.push(tokio::spawn(rejections.run(shutdown_rx.clone())));

    // Metrics on their own listener so that they are never exposed by the webhook proxy.
    let metrics_listener = tokio::net::TcpListener::bind(config.metrics_bind)
        .await
        .with_context(|| format!("METRICS_BIND {} tidak dapat dipakai", config.metrics_bind))?;
    let metrics_addr = metrics_listener.local_addr()?;
    tasks.push(tokio::spawn(http::server::serve(
        metrics_listener,
        http::metrics_router(db.clone()),
        shutdown_rx.clone(),
    )));

    tasks.push(tokio::spawn(crate::workers::outbox::run(shop.clone(), shutdown_rx.clone())));
    tasks.push(tokio::spawn(crate::workers::scheduler::run(shop.clone(), shutdown_rx.clone())));
    tasks.push(tokio::spawn(crate::workers::poller::run(shop.clone(), shutdown_rx.clone())));
    tasks.push(tokio::spawn(crate::workers::broadcast::run(shop.clone(), shutdown_rx.clone())));

    // Menus are nice to have: a Telegram outage at start must not keep the shop down.
    if let Err(e) = shop.publish_commands().await {
        tracing::warn!(error = %e, "could not publish command menus");
    }

    match (&config.webhook_url, &config.webhook_secret) {
        (Some(url), Some(secret)) => {
            let url = reqwest::Url::parse(url).context("TELEGRAM_WEBHOOK_URL tidak valid")?;
            // The kinds the shop acts on, pre-checkout queries (Telegram Stars) included: Telegram
            // keeps the last list it was given, so it is always sent.
            let kinds = [
                teloxide::types::AllowedUpdate::Message,
                teloxide::types::AllowedUpdate::CallbackQuery,
                teloxide::types::AllowedUpdate::PreCheckoutQuery,
            ];
            bot.set_webhook(url).secret_token(secret.expose().clone()).allowed_updates(kinds).await.map_err(|e| {
                anyhow::anyhow!("setWebhook gagal: {}", crate::security::redact::mask_tokens(&e.to_string()))
            })?;
        }
        _ => tasks.push(tokio::spawn(bot::polling::run(
            bot,
            dispatcher.clone(),
            bot::poll_timeout(&config),
            shutdown_rx,
        ))),
    }
    tracing::info!(http = %http_addr, metrics = %metrics_addr, "quickcart ready");
    Ok(Running { shop, dispatcher, http_addr, metrics_addr, shutdown, tasks, _lock: lock })
}

impl Running {
    /// Stops taking updates, lets the ones in hand finish (bounded), stops the workers.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.dispatcher.drain(Duration::from_secs(10)).await;
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

/// `quickcart serve`: runs until SIGTERM or SIGINT.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    // Listen for SIGTERM before starting: a stop that arrives while the shop is starting (or
    // right after "ready") must be a graceful stop, not the default action that kills us.
    let stop = StopSignal::listen();
    let running = start(config).await?;
    stop.wait().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

struct StopSignal {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl StopSignal {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignal { term: signal(SignalKind::terminate()).ok() }
        }
        #[cfg(not(unix))]
        {
            StopSignal {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some(mut term) = self.term {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
