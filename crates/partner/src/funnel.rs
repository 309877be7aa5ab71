//! The funnel as the dashboard and `wamm partner status` show it: one row per client WABA with
//! its stage, reason, last event and message counts, and how many WABAs stand at each stage.
//! A pure view over what the store holds.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::stage::{Facts, Stage, Standing, stage};
use crate::store::{ClientBusiness, ClientWaba, StoredToken};

/// One client WABA in the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The owner business's ID.
    pub business_id: String,
    /// The owner business's name.
    pub business_name: String,
    /// The WABA's ID.
    pub waba_id: String,
    /// The WABA's name.
    pub waba_name: String,
    /// Where it stands, and why.
    #[serde(flatten)]
    pub standing: Standing,
    /// The last thing that happened to it, and when (Unix seconds).
    pub last_event: Option<(String, i64)>,
    /// Messages sent from it, by status.
    pub messages: BTreeMap<String, i64>,
}

/// The whole funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funnel {
    /// WABAs per stage, every stage listed (in funnel order), zeros included.
    pub counts: Vec<(Stage, usize)>,
    /// One row per WABA, by business then WABA ID.
    pub rows: Vec<Row>,
}

/// The funnel at `now` (Unix seconds), requests unanswered after `unanswered_after` seconds.
pub fn funnel(
    businesses: &[ClientBusiness],
    wabas: &[ClientWaba],
    tokens: &[StoredToken],
    message_counts: &[(String, String, i64)],
    now: i64,
    unanswered_after: i64,
) -> Funnel {
    let by_id: HashMap<&str, &ClientBusiness> =
        businesses.iter().map(|b| (b.id.as_str(), b)).collect();
    let tokens: HashMap<&str, &StoredToken> =
        tokens.iter().map(|t| (t.business_id.as_str(), t)).collect();
    let mut counts_of: HashMap<&str, BTreeMap<String, i64>> = HashMap::new();
    for (waba, status, n) in message_counts {
        counts_of
            .entry(waba.as_str())
            .or_default()
            .insert(status.clone(), *n);
    }
    let mut rows: Vec<Row> = wabas
        .iter()
        .map(|w| {
            let owner = by_id.get(w.business_id.as_str()).copied();
            let facts = Facts {
                waba_status: w.status.clone(),
                business_status: owner.and_then(|b| b.status.clone()),
                request: owner.and_then(|b| b.request.clone()),
                terms_signed_at: w.terms_signed_at,
                token_ok: tokens
                    .get(w.business_id.as_str())
                    .is_some_and(|t| t.wabas.contains(&w.id)),
                can_send: w.phone_number_id.is_some(),
                first_sent_at: w.first_sent_at,
            };
            Row {
                business_id: w.business_id.clone(),
                business_name: owner.map(|b| b.name.clone()).unwrap_or_default(),
                waba_id: w.id.clone(),
                waba_name: w.name.clone(),
                standing: stage(&facts, now, unanswered_after),
                last_event: w.last_event.clone(),
                messages: counts_of.remove(w.id.as_str()).unwrap_or_default(),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.business_id, &a.waba_id).cmp(&(&b.business_id, &b.waba_id)));
    let counts = Stage::ALL
        .iter()
        .map(|s| (*s, rows.iter().filter(|r| r.standing.stage == *s).count()))
        .collect();
    Funnel { counts, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::{BusinessStatus, Request, WabaStatus};

    fn waba(id: &str, business: &str, status: WabaStatus) -> ClientWaba {
        ClientWaba {
            id: id.into(),
            business_id: business.into(),
            name: format!("WABA {id}"),
            status: Some(status),
            terms_signed_at: None,
            phone_number_id: Some("555".into()),
            first_sent_at: None,
            last_event: None,
        }
    }

    #[test]
    fn counts_every_stage_and_joins_what_it_knows() {
        let businesses = vec![
            ClientBusiness {
                id: "1".into(),
                name: "Asked".into(),
                status: Some(BusinessStatus::RequestSent),
                request: Some(Request {
                    request_id: Some("9".into()),
                    at: 0,
                }),
            },
            ClientBusiness {
                id: "2".into(),
                name: "Signed".into(),
                status: Some(BusinessStatus::TermOfServiceSigned),
                request: None,
            },
        ];
        let wabas = vec![
            waba("20", "2", WabaStatus::Onboarded),
            waba("10", "1", WabaStatus::Eligible),
            waba("21", "2", WabaStatus::Onboarded),
        ];
        let tokens = vec![StoredToken {
            business_id: "2".into(),
            sealed: "v1.k.x".into(),
            wabas: vec!["20".into()],
            fetched_at: 0,
        }];
        let messages = vec![("20".to_owned(), "delivered".to_owned(), 3)];
        let f = funnel(&businesses, &wabas, &tokens, &messages, 10, 100);
        let stages: Vec<_> = f
            .rows
            .iter()
            .map(|r| (r.waba_id.as_str(), r.standing.stage))
            .collect();
        assert_eq!(
            stages,
            [
                ("10", Stage::IntentRequested),
                ("20", Stage::ReadyToSend),
                // The token does not cover this WABA.
                ("21", Stage::TermsSigned),
            ]
        );
        assert_eq!(f.rows[1].messages.get("delivered"), Some(&3));
        assert_eq!(f.rows[0].business_name, "Asked");
        assert_eq!(f.counts.len(), Stage::ALL.len());
        assert_eq!(f.counts.iter().map(|(_, n)| n).sum::<usize>(), 3);
        assert!(f.counts.contains(&(Stage::TermsSigned, 1)));
    }
}
