//! Headless Chromium over WebDriver (ChromeDriver), and the few moves browser tests make:
//! press, type, wait for text, wait for an Embedded Signup screen, follow a popup, walk the
//! popup for a new business.
//!
//! The tests need Debian's `chromium` and `chromium-driver` (`scripts/ensure-chromium.sh`
//! installs them; `CHROMIUM` and `CHROMEDRIVER` override the paths). When they are missing
//! [`browser`] panics saying so: a browser test never passes by skipping.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use fantoccini;
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A ChromeDriver process and the throwaway Chromium profile it uses; both go when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts ChromeDriver and opens a headless Chromium session through it. Keep the
/// [`Driver`] alive as long as the session.
///
/// # Panics
///
/// When Chromium or ChromeDriver is missing, or no session opens within ten seconds.
pub async fn browser() -> (Driver, Client) {
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        std::path::Path::new(&driver).exists() && std::path::Path::new(&chromium).exists(),
        "browser tests need {chromium} and {driver}: apt-get install -y chromium chromium-driver (scripts/test.sh does)"
    );
    let port = free_port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile: tempfile::tempdir().expect("profile dir"),
    };
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--window-size=1400,1000",
                format!("--user-data-dir={}", driver.profile.path().display()),
            ]
        }
    });
    let caps = caps.as_object().cloned().expect("an object");
    let mut last = None;
    // ChromeDriver takes a moment to listen; poll its port rather than sleeping a fixed time.
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("could not open a Chromium session through ChromeDriver: {last:?}");
}

/// Clicks `css`, retrying (bounded) while the page is still being replaced.
///
/// # Panics
///
/// When the element cannot be clicked within five seconds.
pub async fn press(client: &Client, css: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        match client.find(Locator::Css(css)).await {
            Ok(el) => match el.click().await {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("could not click {css}: {last}");
}

/// Waits (bounded) until the element `css` shows `needle`: pages reload after each form.
///
/// # Panics
///
/// When it does not within five seconds.
pub async fn wait_text(client: &Client, css: &str, needle: &str) {
    wait_text_for(client, css, needle, Duration::from_secs(5)).await;
}

/// [`wait_text`] with its own bound; returns the text seen.
///
/// # Panics
///
/// When the element does not show `needle` within `limit`.
pub async fn wait_text_for(client: &Client, css: &str, needle: &str, limit: Duration) -> String {
    let start = std::time::Instant::now();
    let mut last = String::new();
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        assert!(
            start.elapsed() < limit,
            "{css} never showed {needle:?} within {limit:?}; last seen {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types `text` into the input `css`, replacing what it held.
///
/// # Panics
///
/// When there is no such input within five seconds.
pub async fn fill(client: &Client, css: &str, text: &str) {
    let el = client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

/// Waits (bounded) for the Embedded Signup popup's screen `name` (`LOGIN`, …).
///
/// # Panics
///
/// When the screen does not show within five seconds.
pub async fn on_screen(client: &Client, name: &str) {
    let css = format!(r#"form[data-screen="{name}"]"#);
    let start = std::time::Instant::now();
    loop {
        // A screen posts its form and the next one loads: a lookup that meets the navigation
        // ("aborted by navigation") is tried again, like one that finds nothing yet.
        let Err(last) = client.find(Locator::Css(&css)).await else {
            return;
        };
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "never reached {name}: {last}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until `script` (a function body) returns `true` in the page.
///
/// # Panics
///
/// When it does not within five seconds.
pub async fn wait_script(client: &Client, script: &str) {
    let mut last = None;
    for _ in 0..100 {
        // A page still loading (or navigating) answers with an error: try again.
        match client.execute(script, vec![]).await {
            Ok(serde_json::Value::Bool(true)) => return,
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never true: {script} (last error: {last:?})");
}

/// Waits (bounded) for a window other than `opener` (a popup) and switches to it.
///
/// # Panics
///
/// When no other window opens within five seconds.
pub async fn switch_to_popup(client: &Client, opener: &WindowHandle) -> WindowHandle {
    for _ in 0..100 {
        let windows = client.windows().await.expect("windows");
        if let Some(popup) = windows.into_iter().find(|w| w != opener) {
            client
                .switch_to_window(popup.clone())
                .await
                .expect("switch to the popup");
            return popup;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no popup opened");
}

/// Who signs up, and the business and number they create, in the Embedded Signup popup.
#[derive(Debug, Clone, Copy)]
pub struct NewSignup<'a> {
    /// The person's name.
    pub person: &'a str,
    /// The person's email.
    pub email: &'a str,
    /// The new business portfolio's name.
    pub business: &'a str,
    /// Its country (ISO code).
    pub country: &'a str,
    /// The new phone number, as typed.
    pub phone: &'a str,
}

/// Walks the open Embedded Signup popup from `LOGIN` to the end as a new person creating a
/// new business, WABA and number, accepting the MM API terms: the popup then posts `FINISH`
/// and closes.
///
/// # Panics
///
/// When a screen does not come, or a field or button is missing.
pub async fn sign_up_new_business(client: &Client, new: NewSignup<'_>) {
    on_screen(client, "LOGIN").await;
    press(client, "#person-new").await;
    fill(client, "#person-name", new.person).await;
    fill(client, "#person-email", new.email).await;
    press(client, "#next").await;
    on_screen(client, "BUSINESS_ACCOUNT_SELECTION").await;
    fill(client, "#business-name", new.business).await;
    fill(client, "#business-country", new.country).await;
    press(client, "#next").await;
    on_screen(client, "WABA_SELECTION").await;
    press(client, "#next").await;
    on_screen(client, "PHONE_NUMBER_SETUP").await;
    fill(client, "#phone-number", new.phone).await;
    press(client, "#next").await;
    on_screen(client, "MARKETING_MESSAGES_TERMS").await;
    press(client, "#terms-accept").await;
    press(client, "#next").await;
    on_screen(client, "PERMISSIONS_REVIEW").await;
    press(client, "#next").await;
}
