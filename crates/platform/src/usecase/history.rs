//! Replaying a world's message history: the WABAs' past, made by the platform's own send use
//! case and message lifecycle, so a newly loaded world answers its metrics at once.
//!
//! The replay runs right after a world is stored, on a context of its own
//! ([`Platform::replaying`]): a clock set in the past and moved forward through each day of
//! the plan (`wamm_domain::history::plan`), so every step lands on its day. Each wave of sends
//! goes through [`super::send::send`] (routing, template checks, throughput on the replay's
//! clock, the pair rate, persistence with the `sent` step and its fact); the recipients' reads
//! and clicks are scheduled on the messages as the control API schedules them
//! ([`super::lifecycle::schedule`]) and taken by [`super::lifecycle::run_due`] with their facts;
//! conversions go through [`super::conversions::convert`]. Nothing writes a message or a fact
//! any other way.
//!
//! While it runs, the replay holds the live context's step gate, so the live scheduler does not
//! take the history's past steps as overdue ones, and its context enqueues no webhooks: the
//! statuses of the past were delivered in the past. Its sends and conversions are in the event
//! log, at their times. The replay stops at the start of today, so it never takes a step of a
//! live message (a world load has just removed every older one).

use serde_json::{Map, Value, json};
use wamm_domain::history::{HistorySpec, PlannedSend, plan};
use wamm_domain::metrics::Day;
use wamm_domain::sending::Step;
use wamm_domain::{PhoneNumber, Waba};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::AppId;

use crate::context::Platform;

use super::send::{self, Order, Refused};
use super::{conversions, lifecycle};

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Messages accepted.
    pub messages: usize,
    /// Sends the send use case refused (a template not yet synced on the day, a number's
    /// limits): the past is what the platform's rules let happen.
    pub refused: usize,
    /// Conversions counted.
    pub conversions: usize,
}

/// Replays every history in `specs` on `platform`'s store, up to the start of today on its
/// clock. Deterministic for a seed: the history's own, else the platform's `--seed`.
pub async fn replay(platform: &Platform, specs: &[HistorySpec]) -> Result<Replayed, StoreError> {
    let mut total = Replayed::default();
    if specs.is_empty() {
        return Ok(total);
    }
    let _gate = platform.steps.lock().await;
    let today = Day::of(platform.clock.now());
    for spec in specs {
        let seed = spec
            .seed
            .or(platform.config.seed)
            .unwrap_or_else(random_seed);
        let done = replay_one(platform, spec, seed, today).await?;
        total.messages += done.messages;
        total.refused += done.refused;
        total.conversions += done.conversions;
    }
    Ok(total)
}

fn random_seed() -> u64 {
    let mut bytes = [0_u8; 8];
    // Without randomness the past is still a past, only the same one every time.
    if getrandom::fill(&mut bytes).is_err() {
        return 0;
    }
    u64::from_le_bytes(bytes)
}

/// The app a history's sends are made with: the first app subscribed to the WABA, else an app
/// of one of its partners, else of its owner.
async fn sending_app(platform: &Platform, waba: &Waba) -> Result<AppId, StoreError> {
    if let Some(sub) = platform.store.subscriptions_of(waba.id).await?.first() {
        return Ok(sub.app_id);
    }
    let apps = platform.store.apps().await?;
    let owners: Vec<_> = waba
        .partners
        .iter()
        .map(|p| p.business_id)
        .chain([waba.owner_business_id])
        .collect();
    Ok(owners
        .iter()
        .find_map(|b| apps.iter().find(|a| a.business_id == *b))
        .map_or(AppId::new(0), |a| a.id))
}

async fn replay_one(
    platform: &Platform,
    spec: &HistorySpec,
    seed: u64,
    today: Day,
) -> Result<Replayed, StoreError> {
    let mut done = Replayed::default();
    let (Some(waba), Some(phone)) = (
        platform.store.waba(spec.waba_id).await?,
        platform.store.phone_number(spec.phone_number_id).await?,
    ) else {
        return Ok(done);
    };
    let app = sending_app(platform, &waba).await?;
    let graph_major = u32::from(platform.config.versions.newest().major);
    let days = plan(spec, seed, today, send::throughput(&phone));
    let Some(first) = days.first() else {
        return Ok(done);
    };
    let history = platform.replaying(first.day.start());
    let sender = Sender {
        platform: &history,
        spec,
        waba: &waba,
        phone: &phone,
        app,
        graph_major,
    };
    for day in &days {
        let mut wamids: Vec<Option<String>> = vec![None; day.sends.len()];
        let mut start = 0;
        while start < day.sends.len() {
            let at = day.sends[start].at;
            let end = day.sends[start..]
                .iter()
                .position(|s| s.at != at)
                .map_or(day.sends.len(), |n| start + n);
            history.clock.set(at);
            take_due(&history).await?;
            for (index, result) in sender.wave(start..end, day).await {
                match result {
                    Ok(wamid) => {
                        wamids[index] = Some(wamid);
                        done.messages += 1;
                    }
                    Err(Refused::Rule(_)) => done.refused += 1,
                    Err(Refused::Store(e)) => return Err(e),
                }
            }
            recipients_act(&history, &day.sends[start..end], &wamids[start..end]).await?;
            start = end;
        }
        for (index, conversion) in day.conversions() {
            let Some(wamid) = &wamids[index] else {
                continue;
            };
            history.clock.set(conversion.at);
            take_due(&history).await?;
            let Some(message) = history.store.message(wamid).await? else {
                continue;
            };
            match conversions::convert(
                &history,
                &message,
                conversion.event,
                conversion.channel,
                conversion.value_micros,
            )
            .await
            {
                Ok(_) => done.conversions += 1,
                Err(conversions::ConvertError::Unattributed(_)) => {}
                Err(conversions::ConvertError::Store(e)) => return Err(e),
            }
        }
    }
    history.clock.set(today.start());
    take_due(&history).await?;
    Ok(done)
}

/// Schedules what the recipients of one wave of `sends` (accepted as `wamids`) will do, as
/// the control API schedules a recipient's read or click: the steps are added to each
/// message's plan, to be taken by the lifecycle when the clock reaches them.
async fn recipients_act(
    history: &Platform,
    sends: &[PlannedSend],
    wamids: &[Option<String>],
) -> Result<(), StoreError> {
    let mut changes = ChangeSet::new();
    for (send, wamid) in sends.iter().zip(wamids) {
        let Some(wamid) = wamid else { continue };
        if send.read_at.is_none() && send.click_at.is_none() {
            continue;
        }
        let Some(mut message) = history.store.message(wamid).await? else {
            continue;
        };
        if let Some(at) = send.read_at {
            lifecycle::schedule(&mut message, Step::Read, at);
        }
        if let Some(at) = send.click_at {
            lifecycle::schedule(&mut message, Step::Click, at);
        }
        changes = changes.put(Put::Message(message));
    }
    if !changes.is_empty() {
        history.commit(changes).await?;
    }
    Ok(())
}

/// Takes every step due on `history`'s clock: a pass takes one step of each due message, so
/// passes run until one finds nothing.
async fn take_due(history: &Platform) -> Result<(), StoreError> {
    while lifecycle::run_due(history).await? > 0 {}
    Ok(())
}

/// What every send of one history shares.
struct Sender<'a> {
    platform: &'a Platform,
    spec: &'a HistorySpec,
    waba: &'a Waba,
    phone: &'a PhoneNumber,
    app: AppId,
    graph_major: u32,
}

impl Sender<'_> {
    /// Sends `range` of `day`'s sends at once (one wave), each through the send use case;
    /// returns each send's index with its wamid or refusal.
    async fn wave(
        &self,
        range: std::ops::Range<usize>,
        day: &wamm_domain::history::DayPlan,
    ) -> Vec<(usize, Result<String, Refused>)> {
        let mut tasks = tokio::task::JoinSet::new();
        for index in range {
            let planned = &day.sends[index];
            let Some(template) = self.spec.templates.get(planned.template) else {
                continue;
            };
            let payload = payload(&planned.to, template);
            let platform = self.platform.clone();
            let (waba, phone) = (self.waba.clone(), self.phone.clone());
            let (app, graph_major, endpoint) = (self.app, self.graph_major, planned.endpoint);
            tasks.spawn(async move {
                let order = Order {
                    phone: &phone,
                    waba: &waba,
                    app,
                    endpoint,
                    graph_major,
                    payload,
                };
                (index, send::send(&platform, order).await.map(|s| s.wamid))
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => out.push(result),
                Err(e) => tracing::warn!(error = %e, "a history send did not finish"),
            }
        }
        out.sort_by_key(|(index, _)| *index);
        out
    }
}

/// The template message payload of one history send to `to`.
fn payload(to: &str, template: &wamm_domain::history::HistoryTemplate) -> Map<String, Value> {
    let body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.language},
            "components": template.components,
        },
    });
    match body {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_template_and_its_parameters() {
        let template = wamm_domain::history::HistoryTemplate {
            template_id: wamm_wire::ids::TemplateId::new(1),
            name: "promo".to_owned(),
            language: "en_US".to_owned(),
            clickable: true,
            components: vec![
                json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}),
            ],
            marketing_messages: 1,
            messages: 0,
        };
        let p = payload("5511", &template);
        assert_eq!(p["to"], "5511");
        assert_eq!(p["template"]["name"], "promo");
        assert_eq!(p["template"]["language"]["code"], "en_US");
        assert_eq!(
            p["template"]["components"][0]["parameters"][0]["text"],
            "Ana"
        );
    }
}
