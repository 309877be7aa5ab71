//! Message history: the past a world starts with, so that its metrics answer at once.
//!
//! A world file may give a WABA a `history:` section: how many days back, which templates are
//! sent how often through MM API and Cloud API, to which recipients, and how often recipients
//! read, click and convert. [`plan`] turns that into every send of every day, with when its
//! recipient reads it, clicks its link and converts, drawn from a seed: the same section and
//! seed always give the same past. The platform then replays the plan through its own send use
//! case and message lifecycle, on a clock of its own, so the past is made of the same steps and
//! facts as live sends.
//!
//! The plan covers whole UTC days ending the day before the one it is made on, so every step
//! of the past is over when the platform's clock reads now. A day's MM API campaign starts at
//! 10:00 UTC and its Cloud API sends at 15:00, each in waves no larger than the number may send
//! in a second, one second apart. Sends vary by ±25 % from day to day and weekends see 60 % of a
//! weekday's. A recipient reads between a minute and six hours after the send, clicks a
//! template's URL button between ten seconds and twenty minutes after reading, and converts on
//! the business's website within the hour after the click.

use serde_json::{Value, json};
use wamm_wire::ids::{PhoneNumberId, TemplateId, WabaId};

use crate::metrics::{Channel, ConversionEvent, Day};
use crate::sending::{Endpoint, Recipient};
use crate::time::Timestamp;

/// The most days a history may reach back: template analytics look back 90 days.
pub const MAX_DAYS: u32 = 90;

/// The most sends of one template on one route a day.
pub const MAX_SENDS_PER_DAY: u32 = 10_000;

/// The most sends a whole history may plan on weekdays (days × the day's sends): a world load
/// replays them all before it answers.
pub const MAX_SENDS: u64 = 100_000;

/// A WABA's history, resolved against its world.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySpec {
    /// The WABA whose past it is.
    pub waba_id: WabaId,
    /// The number every message is sent from.
    pub phone_number_id: PhoneNumberId,
    /// Whole days, ending yesterday.
    pub days: u32,
    /// The seed of the draws; the platform's `--seed` when absent.
    pub seed: Option<u64>,
    /// What is sent each day.
    pub templates: Vec<HistoryTemplate>,
    /// Who is sent to (digits); never empty.
    pub recipients: Vec<String>,
    /// The share of delivered messages their recipient reads (0 to 1).
    pub read_rate: f64,
    /// The share of read messages whose URL button is clicked (0 to 1).
    pub click_rate: f64,
    /// The share of clicks followed by a conversion (0 to 1).
    pub conversion_rate: f64,
}

/// One template of a history and its daily sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTemplate {
    /// The template.
    pub template_id: TemplateId,
    /// Its name, as a send names it.
    pub name: String,
    /// Its language.
    pub language: String,
    /// Whether it has a URL button (only then are links clicked and conversions counted).
    pub clickable: bool,
    /// The parameters a send gives it (see [`example_components`]).
    pub components: Vec<Value>,
    /// MM API sends (`/marketing_messages`) on an ordinary weekday.
    pub marketing_messages: u32,
    /// Cloud API sends (`/messages`) on an ordinary weekday.
    pub messages: u32,
}

/// One planned send and what its recipient does with it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSend {
    /// When it is sent.
    pub at: Timestamp,
    /// Index into [`HistorySpec::templates`].
    pub template: usize,
    /// Which endpoint sends it.
    pub endpoint: Endpoint,
    /// The recipient (digits).
    pub to: String,
    /// When the recipient reads it, if they do.
    pub read_at: Option<Timestamp>,
    /// When the recipient clicks its link, if they do (always after reading).
    pub click_at: Option<Timestamp>,
    /// The conversion that follows the click, if any.
    pub conversion: Option<PlannedConversion>,
}

/// A conversion the replay reports for a clicked message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedConversion {
    /// When it happens (after the click).
    pub at: Timestamp,
    /// What the recipient did.
    pub event: ConversionEvent,
    /// Where.
    pub channel: Channel,
    /// A purchase's value, in millionths of the currency.
    pub value_micros: i64,
}

/// One day of a plan, sends in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    /// The UTC day.
    pub day: Day,
    /// Its sends.
    pub sends: Vec<PlannedSend>,
}

impl DayPlan {
    /// The day's conversions with the index of their send, in time order.
    pub fn conversions(&self) -> Vec<(usize, PlannedConversion)> {
        let mut out: Vec<_> = self
            .sends
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.conversion.map(|c| (i, c)))
            .collect();
        out.sort_by_key(|(i, c)| (c.at, *i));
        out
    }
}

/// A small, fast generator (`SplitMix64`): good enough for drawing a demo's past, and the same
/// on every platform.
#[derive(Debug, Clone)]
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        // 53 random bits make every double in [0, 1) with a 2^-53 step.
        #[expect(
            clippy::cast_precision_loss,
            reason = "53 bits fit a double's mantissa exactly"
        )]
        let bits = (self.next() >> 11) as f64;
        bits / 9_007_199_254_740_992.0
    }

    /// Whether an event of probability `p` happens.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }
}

/// Monday is 0, Sunday 6 (1970-01-01 was a Thursday).
fn weekday(day: Day) -> i64 {
    (day.0 + 3).rem_euclid(7)
}

/// How many sends a day with a base of `base` gets: ±25 %, and 60 % on weekends.
fn volume(base: u32, day: Day, draws: &mut Draws) -> usize {
    let factor = 0.75 + draws.unit() * 0.5;
    let factor = if weekday(day) >= 5 {
        factor * 0.6
    } else {
        factor
    };
    let n = (f64::from(base) * factor).round();
    // `n` is within 0..=1.25 × MAX_SENDS_PER_DAY.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small non-negative whole number"
    )]
    let n = n as usize;
    n
}

/// Seconds after midnight UTC the MM API campaign starts.
const MM_START: i64 = 10 * 3600;
/// Seconds after midnight UTC the Cloud API sends start.
const CLOUD_START: i64 = 15 * 3600;

/// Every send of `spec`'s days before `today`, drawn from `seed`. A number that may send
/// `per_second` messages a second sends in waves of that many, a second apart.
pub fn plan(spec: &HistorySpec, seed: u64, today: Day, per_second: u32) -> Vec<DayPlan> {
    let mut draws = Draws(seed ^ 0x6869_7374_6f72_7921);
    let wave = usize::try_from(per_second.max(1)).unwrap_or(1);
    let mut days = Vec::new();
    for back in (1..=i64::from(spec.days)).rev() {
        let day = Day(today.0 - back);
        let mut sends = Vec::new();
        for (endpoint, start) in [
            (Endpoint::MarketingMessages, MM_START),
            (Endpoint::Messages, CLOUD_START),
        ] {
            let mut index = 0_usize;
            for (t, template) in spec.templates.iter().enumerate() {
                let base = match endpoint {
                    Endpoint::MarketingMessages => template.marketing_messages,
                    Endpoint::Messages => template.messages,
                };
                for _ in 0..volume(base, day, &mut draws) {
                    let second = i64::try_from(index / wave).unwrap_or(i64::MAX);
                    let at = day.start().plus_seconds(start + second);
                    index += 1;
                    sends.push(one_send(spec, t, endpoint, at, &mut draws));
                }
            }
        }
        days.push(DayPlan { day, sends });
    }
    days
}

/// One send at `at` and what its recipient does.
fn one_send(
    spec: &HistorySpec,
    template: usize,
    endpoint: Endpoint,
    at: Timestamp,
    draws: &mut Draws,
) -> PlannedSend {
    let pick = usize::try_from(draws.next() % spec.recipients.len().max(1) as u64).unwrap_or(0);
    let to = spec.recipients.get(pick).cloned().unwrap_or_default();
    let mut send = PlannedSend {
        at,
        template,
        endpoint,
        to,
        read_at: None,
        click_at: None,
        conversion: None,
    };
    // Reserved recipients behave as they always do; ordinary ones act as drawn.
    if Recipient::of(&send.to) != Recipient::Normal || !draws.chance(spec.read_rate) {
        return send;
    }
    let read_at = at.plus_seconds(draws.between(60, 6 * 3600));
    send.read_at = Some(read_at);
    let clickable = spec.templates.get(template).is_some_and(|t| t.clickable);
    if !clickable || !draws.chance(spec.click_rate) {
        return send;
    }
    let click_at = read_at.plus_seconds(draws.between(10, 20 * 60));
    send.click_at = Some(click_at);
    if draws.chance(spec.conversion_rate) {
        let roll = draws.unit();
        let event = if roll < 0.5 {
            ConversionEvent::Purchase
        } else if roll < 0.8 {
            ConversionEvent::AddToCart
        } else {
            ConversionEvent::InitiateCheckout
        };
        let value_micros = if event == ConversionEvent::Purchase {
            draws.between(5, 200) * 1_000_000
        } else {
            0
        };
        send.conversion = Some(PlannedConversion {
            at: click_at.plus_seconds(draws.between(60, 3600)),
            event,
            channel: Channel::Website,
            value_micros,
        });
    }
    send
}

/// The `components` a send of `template` gives (Graph's JSON): a text parameter for each
/// placeholder of its header and body, taken from the template's examples where it has them.
pub fn example_components(template: &Value) -> Vec<Value> {
    let authored = template.as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (kind, example_key) in [("header", "header_text"), ("body", "body_text")] {
        let Some(component) = authored.iter().find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        }) else {
            continue;
        };
        let count = component
            .get("text")
            .and_then(Value::as_str)
            .map_or(0, |t| t.matches("{{").count());
        if count == 0 {
            continue;
        }
        // Body examples are a list of lists, header examples a list.
        let example = component.get("example").and_then(|e| e.get(example_key));
        let examples: Vec<&str> = match example.and_then(Value::as_array) {
            Some(list) if list.first().is_some_and(Value::is_array) => list[0]
                .as_array()
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            Some(list) => list.iter().filter_map(Value::as_str).collect(),
            None => Vec::new(),
        };
        let parameters: Vec<Value> = (0..count)
            .map(|i| {
                let text = examples
                    .get(i)
                    .copied()
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| format!("value {}", i + 1), str::to_owned);
                json!({"type": "text", "text": text})
            })
            .collect();
        out.push(json!({"type": kind, "parameters": parameters}));
    }
    out
}

/// `count` ordinary recipients under the calling code of `sender` (digits): the code, a 7 and
/// nine digits, none of them a reserved number.
pub fn generated_recipients(sender: &str, count: u32) -> Vec<String> {
    let code = crate::bsuid::calling_code(sender).unwrap_or("1");
    (0..count)
        .map(|i| format!("{code}7{:09}", 100_000_000 + u64::from(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> HistorySpec {
        HistorySpec {
            waba_id: WabaId::new(1),
            phone_number_id: PhoneNumberId::new(2),
            days: 21,
            seed: None,
            templates: vec![HistoryTemplate {
                template_id: TemplateId::new(3),
                name: "promo".to_owned(),
                language: "en_US".to_owned(),
                clickable: true,
                components: Vec::new(),
                marketing_messages: 40,
                messages: 8,
            }],
            recipients: generated_recipients("919876501010", 200),
            read_rate: 0.6,
            click_rate: 0.3,
            conversion_rate: 0.25,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_past_and_another_seed_another() {
        let today = Day(20_000);
        let a = plan(&spec(), 7, today, 80);
        assert_eq!(a, plan(&spec(), 7, today, 80));
        assert_ne!(a, plan(&spec(), 8, today, 80));
    }

    #[test]
    fn days_end_yesterday_and_every_step_is_over_by_today() {
        let today = Day(20_000);
        let days = plan(&spec(), 1, today, 80);
        assert_eq!(days.len(), 21);
        assert_eq!(days[0].day, Day(today.0 - 21));
        assert_eq!(days[20].day, Day(today.0 - 1));
        for d in &days {
            assert!(!d.sends.is_empty());
            for s in &d.sends {
                assert_eq!(Day::of(s.at), d.day);
                let last = s
                    .conversion
                    .map(|c| c.at)
                    .or(s.click_at)
                    .or(s.read_at)
                    .unwrap_or(s.at);
                assert!(last < today.start(), "{s:?}");
                if let (Some(r), Some(c)) = (s.read_at, s.click_at) {
                    assert!(r < c);
                }
                if let (Some(c), Some(k)) = (s.click_at, s.conversion) {
                    assert!(c < k.at);
                }
                assert!(s.click_at.is_none() || s.read_at.is_some());
            }
        }
    }

    #[test]
    fn volumes_and_rates_follow_the_spec() {
        let days = plan(&spec(), 3, Day(20_000), 80);
        let sends: Vec<_> = days.iter().flat_map(|d| &d.sends).collect();
        let mm = sends
            .iter()
            .filter(|s| s.endpoint == Endpoint::MarketingMessages)
            .count();
        let cloud = sends.len() - mm;
        // 15 weekdays at 40 ± 25 % and 6 weekend days at 60 % of that.
        assert!((600..=900).contains(&mm), "{mm}");
        assert!((120..=180).contains(&cloud), "{cloud}");
        let read = sends.iter().filter(|s| s.read_at.is_some()).count();
        let clicked = sends.iter().filter(|s| s.click_at.is_some()).count();
        let converted = sends.iter().filter(|s| s.conversion.is_some()).count();
        let share = |a: usize, b: usize| a as f64 / b as f64;
        assert!((0.5..0.7).contains(&share(read, sends.len())), "{read}");
        assert!((0.2..0.4).contains(&share(clicked, read)), "{clicked}");
        assert!(converted > 0 && converted < clicked);
    }

    #[test]
    fn waves_respect_the_numbers_throughput() {
        let days = plan(&spec(), 3, Day(20_000), 10);
        for d in &days {
            let mut per_second = std::collections::HashMap::new();
            for s in &d.sends {
                *per_second.entry(s.at).or_insert(0) += 1;
            }
            assert!(per_second.values().all(|&n| n <= 10));
        }
    }

    #[test]
    fn templates_without_a_url_button_are_never_clicked() {
        let mut s = spec();
        s.templates[0].clickable = false;
        let days = plan(&s, 3, Day(20_000), 80);
        assert!(
            days.iter()
                .flat_map(|d| &d.sends)
                .all(|s| s.click_at.is_none())
        );
        assert!(
            days.iter()
                .flat_map(|d| &d.sends)
                .any(|s| s.read_at.is_some())
        );
    }

    #[test]
    fn reserved_recipients_keep_their_behaviour() {
        let mut s = spec();
        s.recipients = vec!["15550990001".to_owned()];
        let days = plan(&s, 3, Day(20_000), 80);
        assert!(
            days.iter()
                .flat_map(|d| &d.sends)
                .all(|s| s.read_at.is_none())
        );
    }

    #[test]
    fn example_components_fill_every_placeholder() {
        let components = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Sale at {{1}}",
             "example": {"header_text": ["Shop"]}},
            {"type": "BODY", "text": "Hi {{1}}, {{2}} off",
             "example": {"body_text": [["Ana"]]}},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "https://x.example/"}]}
        ]);
        assert_eq!(
            example_components(&components),
            vec![
                json!({"type": "header", "parameters": [{"type": "text", "text": "Shop"}]}),
                json!({"type": "body", "parameters": [
                    {"type": "text", "text": "Ana"}, {"type": "text", "text": "value 2"}]}),
            ]
        );
        assert!(example_components(&json!([{"type": "BODY", "text": "Plain"}])).is_empty());
    }

    #[test]
    fn generated_recipients_are_ordinary_and_distinct() {
        let r = generated_recipients("919876501010", 300);
        assert_eq!(r[0], "917100000000");
        assert!(r.iter().all(|n| Recipient::of(n) == Recipient::Normal));
        let unique: std::collections::HashSet<_> = r.iter().collect();
        assert_eq!(unique.len(), 300);
        assert_eq!(crate::bsuid::country_of(&r[0]), "IN");
    }
}
