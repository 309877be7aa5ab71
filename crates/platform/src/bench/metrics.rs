//! Measurement hooks for `wamm bench metrics`: fill a WABA with many messages whose steps are
//! all taken, with the facts those steps produce, and count a WABA's messages by a plain scan.
//!
//! The fill writes what the lifecycle would have left (each message with its whole plan done,
//! and every step's fact from [`metrics::step_fact`], summed per key before it is written):
//! replaying a million sends through the send use case would measure the sends, not the
//! metrics. The scan is the baseline the metrics endpoints are read against: it reads every
//! message row of the WABA and counts its steps in memory with the same domain rule, so the
//! two must agree.

use std::collections::{BTreeMap, HashMap};

use wamm_domain::metrics::{self, Counts, Day, FactKey};
use wamm_domain::sending::{Route, Step};
use wamm_domain::{Message, TemplateCategory};
use wamm_store::{ChangeSet, Put};
use wamm_wire::ids::{AppId, PhoneNumberId, TemplateId, WabaId};

use super::BenchError;
use crate::handle::Handle;

/// Messages written per commit.
const CHUNK: u64 = 5_000;

/// Messages read per page by the scan.
const PAGE: i64 = 10_000;

/// What to fill.
#[derive(Debug, Clone)]
pub struct Fill {
    /// The WABA the messages belong to.
    pub waba: WabaId,
    /// Their sending number.
    pub phone: PhoneNumberId,
    /// The app that sent them.
    pub app: AppId,
    /// The MARKETING templates sent, in turn; those in `clickable` have a URL button.
    pub templates: Vec<TemplateId>,
    /// Templates whose links recipients click.
    pub clickable: Vec<TemplateId>,
    /// How many messages.
    pub messages: u64,
    /// Over how many whole days, ending the day before `today`.
    pub days: u32,
    /// Today (UTC).
    pub today: Day,
    /// The seed of the draws (which recipients read, click or fail, and when).
    pub seed: u64,
}

/// What a fill wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filled {
    /// Messages.
    pub messages: u64,
    /// Steps, all taken.
    pub steps: u64,
    /// Fact rows (keys) their steps added to.
    pub fact_keys: usize,
}

/// `SplitMix64`: the fill's draws, the same on every machine.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Whether an event of `percent` % happens.
    fn percent(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// Seconds in `low..=high`.
    fn seconds(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }
}

/// Message `n` of `fill`: one in ten (drawn) goes through Cloud API, the rest through MM API;
/// 3 % fail after `sent`; of the delivered, 60 % are read within an hour, and a quarter of
/// those read have their URL button clicked.
fn message(fill: &Fill, n: u64, draws: &mut Draws) -> Message {
    let days = u64::from(fill.days.max(1));
    let day = Day(fill.today.0 - 1 - i64::try_from(n % days).unwrap_or(0));
    let index = usize::try_from((n / days) % fill.templates.len().max(1) as u64).unwrap_or(0);
    let template = fill.templates.get(index).copied();
    let at = day.start().plus_seconds(draws.seconds(8 * 3600, 20 * 3600));
    let route = if draws.percent(10) {
        Route::CloudApi
    } else {
        Route::MarketingLite
    };
    let mut plan = vec![(at, Step::Sent)];
    if draws.percent(3) {
        plan.push((at.plus_seconds(1), Step::Failed(131_049)));
    } else {
        plan.push((at.plus_seconds(1), Step::Delivered));
        if draws.percent(60) {
            let read = at.plus_seconds(draws.seconds(60, 3600));
            plan.push((read, Step::Read));
            let clickable = template.is_some_and(|t| fill.clickable.contains(&t));
            if clickable && draws.percent(25) {
                plan.push((read.plus_seconds(draws.seconds(30, 600)), Step::Click));
            }
        }
    }
    let status = plan.iter().rev().find_map(|(_, s)| match s {
        Step::Sent => Some("sent"),
        Step::Delivered => Some("delivered"),
        Step::Read => Some("read"),
        Step::Failed(_) => Some("failed"),
        Step::Click | Step::Expired => None,
    });
    Message {
        id: format!("wamid.bench{n:012}"),
        phone_number_id: fill.phone,
        waba_id: fill.waba,
        app_id: fill.app,
        to: format!("55119{:08}", n % 100_000_000),
        route,
        category: Some(TemplateCategory::Marketing),
        template_id: template,
        biz_opaque_callback_data: None,
        graph_major: 23,
        accepted_at: at,
        status: status.map(str::to_owned),
        steps_done: u32::try_from(plan.len()).unwrap_or(u32::MAX),
        plan,
        // Counted by UTC day only, as the benchmark's questions are.
        timezone_id: None,
    }
}

/// Hands every step `message` has taken to `add` as the fact the lifecycle counts it as;
/// returns how many steps it has taken.
fn count_steps(
    message: &Message,
    rates: &metrics::RateCard,
    mut add: impl FnMut(FactKey, Counts),
) -> u64 {
    let done = usize::try_from(message.steps_done).unwrap_or(usize::MAX);
    let mut steps = 0;
    for (index, &(at, step)) in message.plan.iter().enumerate().take(done) {
        steps += 1;
        let first_click = metrics::is_first_click(message, index);
        if let Some(fact) = metrics::step_fact(message, step, at, first_click, rates) {
            add(fact.key, fact.counts);
        }
    }
    steps
}

/// Writes `fill.messages` messages, every step taken, and the facts their steps produce, in
/// commits of a few thousand messages; `progress` hears how many are written so far.
pub async fn fill(
    handle: &Handle,
    fill: &Fill,
    mut progress: impl FnMut(u64),
) -> Result<Filled, BenchError> {
    let state = handle.state();
    let rates = state.rates();
    let mut draws = Draws(fill.seed);
    let mut facts: HashMap<FactKey, Counts> = HashMap::new();
    let mut filled = Filled::default();
    let mut n = 0;
    while n < fill.messages {
        let end = (n + CHUNK).min(fill.messages);
        let mut changes = ChangeSet::new();
        for i in n..end {
            let m = message(fill, i, &mut draws);
            filled.steps += count_steps(&m, &rates, |key, counts| {
                *facts.entry(key).or_default() += counts;
            });
            changes = changes.put(Put::Message(m));
        }
        state.store.commit(changes).await?;
        filled.messages = end;
        progress(end);
        n = end;
    }
    filled.fact_keys = facts.len();
    let all: Vec<_> = facts
        .into_iter()
        .map(|(key, counts)| metrics::Fact { key, counts })
        .collect();
    for chunk in all.chunks(5_000) {
        state
            .store
            .commit(ChangeSet::new().facts(chunk.iter().copied()))
            .await?;
    }
    Ok(filled)
}

/// What the plain scan counted: MM API steps of the WABA's messages on days `from` (included)
/// to `until` (excluded), per template and in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Message rows read.
    pub messages: u64,
    /// Counts per template.
    pub by_template: BTreeMap<TemplateId, Counts>,
    /// Counts over every template.
    pub total: Counts,
}

/// Reads every message row of `waba`, page by page, and counts its MM API steps on days
/// `from..until` in memory.
pub async fn scan(
    handle: &Handle,
    waba: WabaId,
    from: Day,
    until: Day,
) -> Result<Scanned, BenchError> {
    let state = handle.state();
    let rates = state.rates();
    let mut out = Scanned::default();
    let mut after = 0;
    loop {
        let page = state.store.messages_of_waba(waba, after, PAGE).await?;
        let Some(&(last, _)) = page.last() else {
            return Ok(out);
        };
        after = last;
        for (_, message) in &page {
            out.messages += 1;
            let Some(template) = message.template_id else {
                continue;
            };
            count_steps(message, &rates, |key, counts| {
                if key.route == Route::MarketingLite && key.day >= from && key.day < until {
                    *out.by_template.entry(template).or_default() += counts;
                    out.total += counts;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Fill {
        Fill {
            waba: WabaId::new(1),
            phone: PhoneNumberId::new(2),
            app: AppId::new(3),
            templates: (10..20).map(TemplateId::new).collect(),
            clickable: (10..15).map(TemplateId::new).collect(),
            messages: 10_000,
            days: 30,
            today: Day(20_000),
            seed: 1,
        }
    }

    #[test]
    fn messages_spread_over_the_days_and_templates_and_are_done() {
        let f = spec();
        let mut draws = Draws(f.seed);
        let all: Vec<_> = (0..f.messages)
            .map(|n| message(&f, n, &mut draws))
            .collect();
        let days: std::collections::BTreeSet<_> =
            all.iter().map(|m| Day::of(m.accepted_at)).collect();
        assert_eq!(days.len(), 30);
        assert_eq!(days.last(), Some(&Day(19_999)));
        let templates: std::collections::BTreeSet<_> =
            all.iter().filter_map(|m| m.template_id).collect();
        assert_eq!(templates.len(), 10);
        assert!(all.iter().all(|m| m.next_at().is_none()));
        let clicked = all
            .iter()
            .filter(|m| m.plan.iter().any(|(_, s)| *s == Step::Click))
            .collect::<Vec<_>>();
        assert!(!clicked.is_empty());
        assert!(
            clicked
                .iter()
                .all(|m| m.template_id.is_some_and(|t| f.clickable.contains(&t)))
        );
        let cloud = all.iter().filter(|m| m.route == Route::CloudApi).count();
        assert!((800..1_200).contains(&cloud), "{cloud}");
    }

    #[test]
    fn counting_steps_follows_the_lifecycle_rule() {
        let f = spec();
        let mut draws = Draws(7);
        let m = message(&f, 0, &mut draws);
        let mut sent = 0;
        let steps = count_steps(&m, &metrics::RateCard::default(), |_, c| sent += c.sent);
        assert_eq!(usize::try_from(steps).unwrap_or(0), m.plan.len());
        assert_eq!(sent, 1);
    }
}
