//! MM API Insights: the orchestrator's copy of what each client's ad account reports for its
//! MM API sends (`GET /act_<id>/insights`, a row per ad and UTC day), and the per-account
//! totals a partner reads (the CLI and the dashboard).
//!
//! Meta gives partners no access of their own to these accounts: only a token acting for the
//! WABA's owner business reads them, with `ads_read` on the account. The orchestrator holds
//! such a token for each client that signed (the business token, sealed in the store), so a
//! sync opens it and reads with it. [`skip_reason`] says which WABAs cannot be read and why;
//! those, and any WABA Graph refuses (no `ads_read` on the account, 403 with code 200), are
//! reported and skipped while the others sync.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::{AdInsights, AdInsightsDay, PartnerGraph};
use crate::metrics::{MAX_DAYS, day_start};
use crate::orchestrate::{OrchestrateError, token_row};
use crate::stage::WabaStatus;
use crate::store::{ClientWaba, PartnerStore, StoredToken};
use crate::vault::Vault;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// What an Insights sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct InsightsSync {
    /// WABAs whose ad account was read.
    pub wabas: usize,
    /// Ad days stored.
    pub days: usize,
    /// WABAs skipped, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Why `waba` cannot be read with `token` (its business's stored token, if any), or `None`
/// when it can: it must be onboarded (Meta links the ad account only then) and its business's
/// token must cover it.
pub fn skip_reason(waba: &ClientWaba, token: Option<&StoredToken>) -> Option<&'static str> {
    if waba.status.as_ref() != Some(&WabaStatus::Onboarded) {
        return Some("not onboarded to MM API: Meta links its ad account only once setup is done");
    }
    match token {
        None => Some("no business token stored for its business"),
        Some(t) if !t.wabas.contains(&waba.id) => {
            Some("the stored business token does not cover it")
        }
        Some(_) => None,
    }
}

/// Syncs the last `days` days (today included, at most [`MAX_DAYS`]) of every onboarded
/// client WABA's MM API Insights into the store, at `now` (Unix seconds), reading with each
/// business's stored token opened with `vault` (without a vault, every WABA is skipped).
pub async fn sync_insights(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: Option<&Vault>,
    now: i64,
    days: i64,
) -> Result<InsightsSync, OrchestrateError> {
    let days = days.clamp(1, MAX_DAYS);
    let end = day_start(now) + DAY;
    let start = end - days * DAY;
    let tokens: BTreeMap<String, StoredToken> = store
        .tokens()
        .await?
        .into_iter()
        .map(|t| (t.business_id.clone(), t))
        .collect();
    let mut summary = InsightsSync::default();
    for waba in store.wabas().await? {
        let token = tokens.get(&waba.business_id);
        if let Some(why) = skip_reason(&waba, token) {
            summary.skipped.push((waba.id, why.to_owned()));
            continue;
        }
        let (Some(vault), Some(token)) = (vault, token) else {
            summary.skipped.push((
                waba.id,
                "no token key to open its business token".to_owned(),
            ));
            continue;
        };
        let secret = match vault.open(&token.sealed, &token_row(&waba.business_id)) {
            Ok(secret) => secret,
            Err(e) => {
                summary
                    .skipped
                    .push((waba.id, format!("its business token does not open: {e}")));
                continue;
            }
        };
        match graph.ad_insights(&secret, &waba.id, start, end).await {
            Ok(AdInsights::Days { days, .. }) => {
                store.put_ad_insights_days(&days).await?;
                summary.wabas += 1;
                summary.days += days.len();
            }
            Ok(AdInsights::NoAdAccount) => summary.skipped.push((
                waba.id,
                "no ad account linked to its templates yet".to_owned(),
            )),
            Err(failure) => summary.skipped.push((waba.id, failure.message)),
        }
    }
    Ok(summary)
}

/// One client WABA's ad account over the days asked: Insights' figures summed over its ads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountInsights {
    /// The client business.
    pub business_id: String,
    /// The WABA.
    pub waba_id: String,
    /// The ad account's digits.
    pub account_id: String,
    /// The spend's currency, when Insights gave it.
    pub currency: Option<String>,
    /// Ads with a row in the window.
    pub ads: usize,
    /// `marketing_messages_sent`.
    pub sent: i64,
    /// `marketing_messages_delivered`.
    pub delivered: i64,
    /// `marketing_messages_read`.
    pub read: i64,
    /// `marketing_messages_link_btn_click`.
    pub clicked: i64,
    /// `marketing_messages_spend`.
    pub spend: f64,
    /// Deliveries per send, in percent, as Insights defines its delivery rate.
    pub delivery_rate: Option<f64>,
    /// Reads per delivery, in percent, as Insights defines its read rate.
    pub read_rate: Option<f64>,
    /// Link clicks per delivery, in percent.
    pub click_rate: Option<f64>,
}

/// `part` per `whole`, in percent.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| {
        #[expect(
            clippy::cast_precision_loss,
            reason = "message counts stay far below 2^52"
        )]
        let r = part as f64 * 100.0 / whole as f64;
        r
    })
}

/// Sums `days` per WABA (its ad account); `business_of` names each WABA's business. Rates
/// are recomputed from the sums, not averaged over days. Accounts without a send are left out.
pub fn totals(
    days: &[AdInsightsDay],
    business_of: &BTreeMap<String, String>,
) -> Vec<AccountInsights> {
    let mut sums: BTreeMap<String, (AccountInsights, std::collections::BTreeSet<&str>)> =
        BTreeMap::new();
    for d in days {
        let (t, ads) = sums.entry(d.waba_id.clone()).or_insert_with(|| {
            (
                AccountInsights {
                    business_id: business_of.get(&d.waba_id).cloned().unwrap_or_default(),
                    waba_id: d.waba_id.clone(),
                    account_id: d.account_id.clone(),
                    currency: None,
                    ads: 0,
                    sent: 0,
                    delivered: 0,
                    read: 0,
                    clicked: 0,
                    spend: 0.0,
                    delivery_rate: None,
                    read_rate: None,
                    click_rate: None,
                },
                std::collections::BTreeSet::new(),
            )
        });
        ads.insert(d.ad_id.as_str());
        t.sent += d.sent;
        t.delivered += d.delivered;
        t.read += d.read;
        t.clicked += d.clicked;
        t.spend += d.spend;
        if t.currency.is_none() {
            t.currency.clone_from(&d.currency);
        }
    }
    sums.into_values()
        .map(|(mut t, ads)| {
            t.ads = ads.len();
            t.delivery_rate = rate(t.delivered, t.sent);
            t.read_rate = rate(t.read, t.delivered);
            t.click_rate = rate(t.clicked, t.delivered);
            t
        })
        .filter(|t| t.sent > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waba(status: Option<WabaStatus>) -> ClientWaba {
        ClientWaba {
            id: "W".into(),
            business_id: "B".into(),
            name: "W".into(),
            status,
            terms_signed_at: None,
            phone_number_id: None,
            first_sent_at: None,
            last_event: None,
        }
    }

    fn token(wabas: &[&str]) -> StoredToken {
        StoredToken {
            business_id: "B".into(),
            sealed: "v1.k.x".into(),
            wabas: wabas.iter().map(|w| (*w).to_owned()).collect(),
            fetched_at: 0,
        }
    }

    #[test]
    fn only_onboarded_wabas_with_a_covering_token_are_read() {
        let onboarded = waba(Some(WabaStatus::Onboarded));
        assert_eq!(skip_reason(&onboarded, Some(&token(&["W"]))), None);
        assert!(
            skip_reason(&onboarded, None).is_some_and(|r| r.contains("no business token")),
            "without a token"
        );
        assert!(
            skip_reason(&onboarded, Some(&token(&["X"]))).is_some_and(|r| r.contains("cover")),
            "a token for other WABAs"
        );
        for status in [
            None,
            Some(WabaStatus::PendingInternalSetup),
            Some(WabaStatus::Eligible),
        ] {
            assert!(
                skip_reason(&waba(status.clone()), Some(&token(&["W"])))
                    .is_some_and(|r| r.contains("not onboarded")),
                "{status:?}"
            );
        }
    }

    fn day(waba: &str, ad: &str, day: i64, sent: i64, spend: f64) -> AdInsightsDay {
        AdInsightsDay {
            waba_id: waba.into(),
            account_id: format!("acct-{waba}"),
            ad_id: ad.into(),
            template_id: None,
            ad_name: format!("ad {ad}"),
            day,
            sent,
            delivered: sent - 1,
            read: 1,
            clicked: 1,
            spend,
            currency: (sent > 0).then(|| "USD".to_owned()),
            delivery_rate: None,
            read_rate: None,
            click_rate: None,
        }
    }

    #[test]
    fn totals_sum_ads_and_days_per_account_and_rate_the_sums() {
        let owners = BTreeMap::from([("W".to_owned(), "B".to_owned())]);
        let days = [
            day("W", "1", 0, 0, 0.0),
            day("W", "1", DAY, 5, 0.1),
            day("W", "2", DAY, 3, 0.05),
            day("V", "3", 0, 0, 0.0),
        ];
        let t = totals(&days, &owners);
        assert_eq!(t.len(), 1, "an account without sends is left out: {t:?}");
        let w = &t[0];
        assert_eq!(
            (w.business_id.as_str(), w.account_id.as_str()),
            ("B", "acct-W")
        );
        assert_eq!(
            (w.ads, w.sent, w.delivered, w.read, w.clicked),
            (2, 8, 5, 3, 3)
        );
        assert!((w.spend - 0.15).abs() < 1e-12);
        assert_eq!(w.currency.as_deref(), Some("USD"));
        assert_eq!(w.delivery_rate, Some(62.5));
        assert_eq!(w.read_rate, Some(60.0));
        assert_eq!(w.click_rate, Some(60.0));
    }
}
