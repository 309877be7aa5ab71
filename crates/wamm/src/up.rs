//! `wamm up`: the platform with a ready world, and credentials printed for immediate use.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;
use wamm_domain::{PartnerType, Permission};
use wamm_platform::Running;
use wamm_platform::control::{ensure_demo, load_world, mint_token};

/// Reads a world file named on the command line, refusing one past the world file size bound
/// before reading it.
pub fn read_world_file(path: &Path) -> Result<String> {
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    wamm_world::check_size(usize::try_from(bytes).unwrap_or(usize::MAX))
        .with_context(|| format!("reading {}", path.display()))?;
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Loads the world `up` needs, then prints where to reach the platform and how to call it.
pub async fn run(
    running: &Running,
    world: Option<&PathBuf>,
    fresh: bool,
    as_json: bool,
) -> Result<()> {
    let state = &running.state;
    let summary = match world {
        Some(path) => {
            let text = read_world_file(path)?;
            Some(
                load_world(state, &text)
                    .await
                    .with_context(|| format!("loading {}", path.display()))?,
            )
        }
        None if fresh => Some(load_world(state, wamm_world::DEMO_WORLD).await?),
        None => ensure_demo(state).await?,
    };
    let world_state = state.store.export_world().await?;
    // The partner's app: a solution partner's or tech provider's app with advanced access to
    // WhatsApp management (the one that can reach clients), preferring one that does not
    // require appsecret_proof so the printed curl works as is.
    let partner_app = |a: &&wamm_domain::App| {
        a.partner_type != PartnerType::Direct
            && a.has_advanced(Permission::WhatsappBusinessManagement)
    };
    let app = world_state
        .apps
        .iter()
        .filter(partner_app)
        .min_by_key(|a| a.require_app_secret)
        .or_else(|| {
            world_state
                .apps
                .iter()
                .find(|a| a.partner_type != PartnerType::Direct)
        })
        .or_else(|| world_state.apps.first())
        .context("the world has no app")?;
    let user = world_state
        .system_users
        .iter()
        .find(|u| u.business_id == app.business_id)
        .context("the partner business has no system user")?;
    let issued = summary
        .as_ref()
        .and_then(|s| {
            s.tokens
                .iter()
                .find(|t| t.app_id == app.id && t.user_id == user.id)
        })
        .map(|t| t.token.clone());
    let token = match issued {
        Some(token) => token,
        // The stored world keeps only token hashes, so a restart mints a fresh token to print.
        None => {
            mint_token(
                state,
                user.id,
                app.id,
                vec![
                    Permission::WhatsappBusinessMessaging,
                    Permission::WhatsappBusinessManagement,
                    Permission::BusinessManagement,
                ],
            )
            .await?
        }
    };
    let base = running.base_url();
    let version = state.config.versions.newest();
    let info = json!({
        "base_url": base,
        "graph_url": format!("{base}/{version}"),
        "console_url": format!("{base}/"),
        "embedded_signup_url": format!("{base}/_wamm/apps/{}/embedded-signup", app.id),
        "backend": state.store.backend().to_string(),
        "app_id": app.id.to_string(),
        "app_secret": app.secret,
        "partner_business_id": app.business_id.to_string(),
        "system_user_id": user.id.to_string(),
        "access_token": token,
    });
    let out = if as_json {
        format!("{info}\n")
    } else {
        format!(
            "\nwamm is up ({backend}).\n\n  Graph API        {graph}\n  Console          {console}\n  Control API      {base}/_wamm/\n  App Dashboard    {base}/_wamm/apps/{app_id} (webhook callback, login configurations)\n  Embedded Signup  {base}/_wamm/apps/{app_id}/embedded-signup (sample partner page)\n\n  App ID           {app_id}\n  App secret       {secret}\n  Partner business {biz}\n  System user      {user}\n  Access token     {token}\n\nTry:\n  curl -s '{graph}/{biz}/client_whatsapp_business_accounts?fields=id,name,marketing_messages_onboarding_status' \\\n    -H 'Authorization: Bearer {token}'\n\nPress Ctrl-C to stop.\n",
            backend = info["backend"].as_str().unwrap_or_default(),
            graph = info["graph_url"].as_str().unwrap_or_default(),
            console = info["console_url"].as_str().unwrap_or_default(),
            app_id = app.id,
            secret = app.secret,
            biz = app.business_id,
            user = user.id,
        )
    };
    // The credentials are the whole point of `up`; they go to stdout once and never to the log.
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    Ok(())
}
