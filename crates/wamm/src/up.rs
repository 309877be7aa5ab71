//! `wamm up`: the platform with a ready world, and credentials printed for immediate use.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;
use wamm_platform::Running;

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
    let handle = running.handle();
    let summary = match world {
        Some(path) => {
            let text = read_world_file(path)?;
            Some(
                handle
                    .load_world(&text)
                    .await
                    .with_context(|| format!("loading {}", path.display()))?,
            )
        }
        None if fresh => Some(handle.load_world(wamm_world::DEMO_WORLD).await?),
        None => handle.ensure_demo().await?,
    };
    let welcome = handle.welcome(summary.as_ref()).await?;
    let base = running.base_url();
    let version = handle.graph_version();
    let app_id = welcome.app_id;
    let info = json!({
        "base_url": base,
        "graph_url": format!("{base}/{version}"),
        "console_url": format!("{base}/"),
        "embedded_signup_url": format!("{base}/_wamm/apps/{app_id}/embedded-signup"),
        "backend": handle.backend().to_string(),
        "app_id": app_id.to_string(),
        "app_secret": welcome.app_secret,
        "partner_business_id": welcome.partner_business_id.to_string(),
        "system_user_id": welcome.system_user_id.to_string(),
        "access_token": welcome.access_token,
    });
    let out = if as_json {
        format!("{info}\n")
    } else {
        format!(
            "\nwamm is up ({backend}).\n\n  Graph API        {graph}\n  Console          {console}\n  Control API      {base}/_wamm/\n  App Dashboard    {base}/_wamm/apps/{app_id} (webhook callback, login configurations)\n  Embedded Signup  {base}/_wamm/apps/{app_id}/embedded-signup (sample partner page)\n\n  App ID           {app_id}\n  App secret       {secret}\n  Partner business {biz}\n  System user      {user}\n  Access token     {token}\n\nTry:\n  curl -s '{graph}/{biz}/client_whatsapp_business_accounts?fields=id,name,marketing_messages_onboarding_status' \\\n    -H 'Authorization: Bearer {token}'\n\nPress Ctrl-C to stop.\n",
            backend = info["backend"].as_str().unwrap_or_default(),
            graph = info["graph_url"].as_str().unwrap_or_default(),
            console = info["console_url"].as_str().unwrap_or_default(),
            secret = welcome.app_secret,
            biz = welcome.partner_business_id,
            user = welcome.system_user_id,
            token = welcome.access_token,
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
