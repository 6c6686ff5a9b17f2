//! `claw shadow serve` as one call: check the request, start the shadow side (or carry on
//! without it), mirror webhooks until SIGINT/SIGTERM, then let the queue drain. What
//! happens along the way is handed to the caller as [`ServeEvent`]s to print.

use crate::error::ShadowError;
use crate::live::{DEFAULT_QUEUE, ShadowSide, Stats, Worker};
use crate::proxy::{MirrorConfig, check_forward, shutdown_signal};
use crate::store::Store;
use claw_language::model::Source;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the queued requests get to be shadowed after the server stopped.
const DRAIN_GRACE: Duration = Duration::from_secs(30);

/// Everything `claw shadow serve` was asked.
#[derive(Debug, Clone)]
pub struct ServeRequest {
    /// The imported `.claw` system.
    pub system: PathBuf,
    /// The legacy endpoint every request is forwarded to.
    pub forward: String,
    /// Address to listen on.
    pub listen: String,
    /// The shadow store file.
    pub store: PathBuf,
}

/// Something the operator should hear about while `serve` runs.
#[derive(Debug)]
pub enum ServeEvent<'a> {
    /// The shadow side could not start; requests are only forwarded.
    ShadowDisabled(&'a ShadowError),
    /// Listening: the system, its webhook triggers, the bound address and the legacy endpoint.
    Listening {
        /// System name from the `.claw` file.
        system: &'a str,
        /// Webhook triggers mirrored.
        triggers: &'a [String],
        /// The bound address (the real port when 0 was asked).
        addr: SocketAddr,
        /// The legacy endpoint.
        forward: &'a str,
    },
    /// Stopped after the queue drained (or the grace ran out), with the shadow side's counts.
    Stopped(Stats),
}

/// Serves until SIGINT or SIGTERM.
pub fn run(req: &ServeRequest, mut on: impl FnMut(ServeEvent<'_>)) -> Result<(), ShadowError> {
    let sys = super::valid_system(&req.system)?;
    let triggers: Vec<String> = sys
        .triggers
        .iter()
        .filter(|t| t.source == Source::Webhook)
        .map(|t| t.name.clone())
        .collect();
    if triggers.is_empty() {
        return Err(ShadowError::Usage(format!(
            "{}: system {} has no webhook trigger to mirror",
            req.system.display(),
            sys.system
        )));
    }
    check_forward(&req.forward).map_err(|reason| ShadowError::Forward {
        url: req.forward.clone(),
        reason,
    })?;
    // Two workers: the shadow side's record-only runs never hold up forwarding.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener =
            crate::proxy::bind(&req.listen)
                .await
                .map_err(|source| ShadowError::Listen {
                    addr: req.listen.clone(),
                    source,
                })?;
        let (shadow, worker) = match start_shadow_side(&req.system, &req.store).await {
            Ok((s, w)) => (Some(s), Some(w)),
            Err(e) => {
                // The legacy path must keep working even when the shadow side cannot.
                on(ServeEvent::ShadowDisabled(&e));
                (None, None)
            }
        };
        on(ServeEvent::Listening {
            system: &sys.system,
            triggers: &triggers,
            addr: listener.local_addr()?,
            forward: &req.forward,
        });
        let cfg = MirrorConfig {
            system: sys.system.clone(),
            triggers: triggers.clone(),
            forward: req.forward.clone(),
            shadow,
        };
        crate::proxy::serve(cfg, listener, shutdown_signal()).await?;
        if let Some(w) = worker {
            on(ServeEvent::Stopped(w.finish(DRAIN_GRACE).await));
        }
        Ok(())
    })
}

async fn start_shadow_side(
    system: &Path,
    store: &Path,
) -> Result<(ShadowSide, Worker), ShadowError> {
    let store = Store::open(store).await?;
    let loaded = crate::simulate::load(system)?;
    ShadowSide::start(loaded, store, DEFAULT_QUEUE).await
}
