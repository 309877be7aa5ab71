//! Insights on the MM API's ad objects, as pure functions: which days a request covers
//! (`date_preset`, `time_range`, `time_increment`), how message facts roll up to the level
//! asked (account, campaign, ad set, ad) and the `marketing_messages_*` figures of a row.
//!
//! Meta mirrors each MARKETING template of an onboarded WABA onto one campaign, one ad set and
//! one ad in the WABA's ad account, so a campaign, an ad set and an ad each stand for exactly
//! one template: a row below the account level is a template's facts. Only messages sent
//! through the MM API count; Cloud API sends have no ad objects.

use std::collections::BTreeMap;

use chrono::{Datelike as _, Months, NaiveDate};
use wamm_wire::ids::TemplateId;

use crate::metrics::{Counts, Day, Fact};
use crate::sending::Route;

/// How far back Insights reach: 37 months, as `date_preset=maximum` and Meta's 3018 refusal
/// say.
pub const MAX_MONTHS_BACK: u32 = 37;

/// The calendar date of `day`.
pub fn date(day: Day) -> NaiveDate {
    NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(day.0))
        .unwrap_or_default()
}

/// The day of a calendar date.
pub fn day_of(date: NaiveDate) -> Day {
    Day(date.signed_duration_since(NaiveDate::default()).num_days())
}

/// A `YYYY-MM-DD` date, as `time_range` writes them.
pub fn parse_date(text: &str) -> Option<Day> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .map(day_of)
}

/// The first day 37 months before `today`: the oldest day Insights answer for.
pub fn oldest(today: Day) -> Day {
    months_back(today, MAX_MONTHS_BACK)
}

fn months_back(day: Day, months: u32) -> Day {
    date(day)
        .checked_sub_months(Months::new(months))
        .map_or(Day(0), day_of)
}

/// `date_preset`: a named range relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePreset {
    /// Today so far.
    Today,
    /// Yesterday.
    Yesterday,
    /// This month to today.
    ThisMonth,
    /// Last calendar month.
    LastMonth,
    /// This quarter to today.
    ThisQuarter,
    /// Last calendar quarter.
    LastQuarter,
    /// The 37 months Insights keep, to today.
    Maximum,
    /// Like `maximum` (wamm keeps no data older than its facts).
    DataMaximum,
    /// The N days before today (today excluded).
    LastDays(u16),
    /// Last week, Monday to Sunday.
    LastWeekMonSun,
    /// Last week, Sunday to Saturday.
    LastWeekSunSat,
    /// Last calendar year.
    LastYear,
    /// This week from Monday to today.
    ThisWeekMonToday,
    /// This week from Sunday to today.
    ThisWeekSunToday,
    /// This year to today.
    ThisYear,
}

impl DatePreset {
    /// Every preset's name, as Meta's Insights reference lists them.
    pub const NAMES: [&'static str; 20] = [
        "today",
        "yesterday",
        "this_month",
        "last_month",
        "this_quarter",
        "maximum",
        "data_maximum",
        "last_3d",
        "last_7d",
        "last_14d",
        "last_28d",
        "last_30d",
        "last_90d",
        "last_week_mon_sun",
        "last_week_sun_sat",
        "last_quarter",
        "last_year",
        "this_week_mon_today",
        "this_week_sun_today",
        "this_year",
    ];

    /// The preset `text` names (in either case).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "today" => Self::Today,
            "yesterday" => Self::Yesterday,
            "this_month" => Self::ThisMonth,
            "last_month" => Self::LastMonth,
            "this_quarter" => Self::ThisQuarter,
            "last_quarter" => Self::LastQuarter,
            "maximum" => Self::Maximum,
            "data_maximum" => Self::DataMaximum,
            "last_3d" => Self::LastDays(3),
            "last_7d" => Self::LastDays(7),
            "last_14d" => Self::LastDays(14),
            "last_28d" => Self::LastDays(28),
            "last_30d" => Self::LastDays(30),
            "last_90d" => Self::LastDays(90),
            "last_week_mon_sun" => Self::LastWeekMonSun,
            "last_week_sun_sat" => Self::LastWeekSunSat,
            "last_year" => Self::LastYear,
            "this_week_mon_today" => Self::ThisWeekMonToday,
            "this_week_sun_today" => Self::ThisWeekSunToday,
            "this_year" => Self::ThisYear,
            _ => return None,
        })
    }

    /// The days the preset covers when it is `today`: the first, and the day after the last.
    pub fn range(self, today: Day) -> (Day, Day) {
        let tomorrow = today.next();
        let d = date(today);
        let monday = Day(today.0 - i64::from(d.weekday().num_days_from_monday()));
        let sunday = Day(today.0 - i64::from(d.weekday().num_days_from_sunday()));
        let quarter = quarter_start(d);
        let year = NaiveDate::from_ymd_opt(d.year(), 1, 1).map_or(today, day_of);
        match self {
            Self::Today => (today, tomorrow),
            Self::Yesterday => (Day(today.0 - 1), today),
            Self::ThisMonth => (today.month_start(), tomorrow),
            Self::LastMonth => (
                Day(today.month_start().0 - 1).month_start(),
                today.month_start(),
            ),
            Self::ThisQuarter => (quarter, tomorrow),
            Self::LastQuarter => (months_back(quarter, 3), quarter),
            Self::Maximum | Self::DataMaximum => (oldest(today), tomorrow),
            Self::LastDays(n) => (Day(today.0 - i64::from(n)), today),
            Self::LastWeekMonSun => (Day(monday.0 - 7), monday),
            Self::LastWeekSunSat => (Day(sunday.0 - 7), sunday),
            Self::LastYear => (months_back(year, 12), year),
            Self::ThisWeekMonToday => (monday, tomorrow),
            Self::ThisWeekSunToday => (sunday, tomorrow),
            Self::ThisYear => (year, tomorrow),
        }
    }
}

fn quarter_start(d: NaiveDate) -> Day {
    let month = (d.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(d.year(), month, 1).map_or(Day(0), day_of)
}

/// `time_increment`: how a range is cut into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeIncrement {
    /// One row for the whole range (`all_days`, the default).
    AllDays,
    /// One row per calendar month (`monthly`).
    Monthly,
    /// One row per this many days (1 to 90).
    Days(u8),
}

impl TimeIncrement {
    /// The increment `text` names: `all_days`, `monthly` or a whole number of days from 1 to 90.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "all_days" => Some(Self::AllDays),
            "monthly" => Some(Self::Monthly),
            n => n
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=90).contains(n))
                .map(Self::Days),
        }
    }

    /// The slices of `[from, until)` this increment cuts: each its first day and the day
    /// after its last, oldest first.
    pub fn slices(self, from: Day, until: Day) -> Vec<(Day, Day)> {
        let mut out = Vec::new();
        let mut start = from;
        while start < until {
            let end = match self {
                Self::AllDays => until,
                Self::Monthly => start.next_month(),
                Self::Days(n) => Day(start.0 + i64::from(n)),
            }
            .min(until);
            out.push((start, end));
            start = end;
        }
        out
    }
}

/// `level`: what one row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The ad account.
    Account,
    /// A campaign.
    Campaign,
    /// An ad set.
    Adset,
    /// An ad.
    Ad,
}

impl Level {
    /// The level `text` names (in either case).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "account" => Self::Account,
            "campaign" => Self::Campaign,
            "adset" => Self::Adset,
            "ad" => Self::Ad,
            _ => return None,
        })
    }

    /// Its name as Graph writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Campaign => "campaign",
            Self::Adset => "adset",
            Self::Ad => "ad",
        }
    }
}

/// The key of one Insights row: its slice of days, the template a below-account row stands
/// for, and the button name a `marketing_messages_btn_name` breakdown splits by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowKey {
    /// The slice's first day.
    pub from: Day,
    /// The day after the slice's last.
    pub until: Day,
    /// The template behind the campaign, ad set or ad; `None` at the account level.
    pub template: Option<TemplateId>,
    /// The button, when broken down by button name.
    pub button: Option<String>,
}

/// One Insights row: its key and what the MM API messages under it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What the row stands for.
    pub key: RowKey,
    /// Its sums.
    pub counts: Counts,
}

/// The rows of `facts` (those of the MM API, of `templates`) for each slice, at `level`:
/// below the account a row per template; with `button_of`, split by the name of each
/// template's URL button. What had no activity anywhere in the slices has no row (a range
/// without activity answers no data, as Graph's does); what had some has a row in every
/// slice, zeros included. Rows come oldest slice first, then by template.
pub fn rows(
    facts: &[Fact],
    templates: &[TemplateId],
    slices: &[(Day, Day)],
    level: Level,
    button_of: Option<&dyn Fn(TemplateId) -> Option<String>>,
) -> Vec<Row> {
    type Group = (Option<TemplateId>, Option<String>);
    let mut sums: BTreeMap<(usize, Group), Counts> = BTreeMap::new();
    let mut groups: std::collections::BTreeSet<Group> = std::collections::BTreeSet::new();
    for f in facts.iter().filter(|f| f.key.route == Route::MarketingLite) {
        let Some(template) = f.key.template_id.filter(|t| templates.contains(t)) else {
            continue;
        };
        let Some(slice) = slices
            .iter()
            .position(|(from, until)| *from <= f.key.day && f.key.day < *until)
        else {
            continue;
        };
        let group = (
            (level != Level::Account).then_some(template),
            button_of.and_then(|b| b(template)),
        );
        groups.insert(group.clone());
        *sums.entry((slice, group)).or_default() += f.counts;
    }
    let mut out = Vec::with_capacity(slices.len() * groups.len());
    for (i, (from, until)) in slices.iter().enumerate() {
        for group in &groups {
            out.push(Row {
                key: RowKey {
                    from: *from,
                    until: *until,
                    template: group.0,
                    button: group.1.clone(),
                },
                counts: sums.get(&(i, group.clone())).copied().unwrap_or_default(),
            });
        }
    }
    out
}

/// `part` over `whole` as a percentage; zero when `whole` is.
pub fn rate(part: i64, whole: i64) -> f64 {
    ratio(part, whole) * 100.0
}

/// `part` over `whole`; zero when `whole` is.
pub fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "message counts stay far below 2^53"
    )]
    let r = part as f64 / whole as f64;
    r
}

/// An Insights number as Graph writes it: a string, at most six decimals, trailing zeros cut
/// (`"50"`, `"481.818182"`, `"0.04"`).
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::country::Country;
    use crate::metrics::{FactKey, PricingCategory};
    use wamm_wire::ids::{PhoneNumberId, WabaId};

    fn day(text: &str) -> Day {
        parse_date(text).expect("date")
    }

    #[test]
    fn presets_end_yesterday_or_today_as_meta_writes_them() {
        // 2025-06-10 is a Tuesday.
        let today = day("2025-06-10");
        let r = |p: &str| DatePreset::parse(p).expect(p).range(today);
        assert_eq!(r("last_30d"), (day("2025-05-11"), day("2025-06-10")));
        assert_eq!(r("LAST_7D"), (day("2025-06-03"), day("2025-06-10")));
        assert_eq!(r("today"), (day("2025-06-10"), day("2025-06-11")));
        assert_eq!(r("yesterday"), (day("2025-06-09"), day("2025-06-10")));
        assert_eq!(r("this_month"), (day("2025-06-01"), day("2025-06-11")));
        assert_eq!(r("last_month"), (day("2025-05-01"), day("2025-06-01")));
        assert_eq!(r("this_quarter"), (day("2025-04-01"), day("2025-06-11")));
        assert_eq!(r("last_quarter"), (day("2025-01-01"), day("2025-04-01")));
        assert_eq!(
            r("last_week_mon_sun"),
            (day("2025-06-02"), day("2025-06-09"))
        );
        assert_eq!(
            r("last_week_sun_sat"),
            (day("2025-06-01"), day("2025-06-08"))
        );
        assert_eq!(
            r("this_week_mon_today"),
            (day("2025-06-09"), day("2025-06-11"))
        );
        assert_eq!(
            r("this_week_sun_today"),
            (day("2025-06-08"), day("2025-06-11"))
        );
        assert_eq!(r("last_year"), (day("2024-01-01"), day("2025-01-01")));
        assert_eq!(r("this_year"), (day("2025-01-01"), day("2025-06-11")));
        assert_eq!(r("maximum"), (day("2022-05-10"), day("2025-06-11")));
        assert!(DatePreset::parse("last_31d").is_none());
        for name in DatePreset::NAMES {
            assert!(DatePreset::parse(name).is_some(), "{name}");
        }
    }

    #[test]
    fn increments_cut_ranges_into_slices() {
        let (from, until) = (day("2025-01-30"), day("2025-03-03"));
        assert_eq!(
            TimeIncrement::AllDays.slices(from, until),
            vec![(from, until)]
        );
        assert_eq!(
            TimeIncrement::parse("monthly")
                .expect("monthly")
                .slices(from, until),
            vec![
                (from, day("2025-02-01")),
                (day("2025-02-01"), day("2025-03-01")),
                (day("2025-03-01"), until),
            ]
        );
        let weeks = TimeIncrement::parse("7").expect("7").slices(from, until);
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[4], (day("2025-02-27"), until));
        assert!(TimeIncrement::parse("0").is_none());
        assert!(TimeIncrement::parse("91").is_none());
        assert!(TimeIncrement::parse("weekly").is_none());
    }

    fn fact(template: u64, on: &str, route: Route, sent: i64) -> Fact {
        Fact {
            key: FactKey {
                waba_id: WabaId::new(1),
                template_id: Some(TemplateId::new(template)),
                phone_number_id: PhoneNumberId::new(2),
                day: day(on),
                local_day: day(on),
                route,
                category: PricingCategory::MarketingLite,
                country: Country::UNKNOWN,
            },
            counts: Counts {
                sent,
                ..Counts::default()
            },
        }
    }

    #[test]
    fn rows_roll_mm_facts_up_to_the_level() {
        let facts = [
            fact(10, "2025-06-01", Route::MarketingLite, 3),
            fact(11, "2025-06-01", Route::MarketingLite, 4),
            fact(10, "2025-06-02", Route::MarketingLite, 5),
            fact(10, "2025-06-02", Route::CloudApi, 100),
            fact(12, "2025-06-02", Route::MarketingLite, 7),
        ];
        let templates = [TemplateId::new(10), TemplateId::new(11)];
        let all = [(day("2025-06-01"), day("2025-06-03"))];
        let account = rows(&facts, &templates, &all, Level::Account, None);
        assert_eq!(account.len(), 1);
        assert_eq!(
            account[0].counts.sent, 12,
            "Cloud API and other templates left out"
        );
        let ads = rows(&facts, &templates, &all, Level::Ad, None);
        assert_eq!(
            ads.iter()
                .map(|r| (r.key.template, r.counts.sent))
                .collect::<Vec<_>>(),
            vec![
                (Some(TemplateId::new(10)), 8),
                (Some(TemplateId::new(11)), 4)
            ]
        );
        let daily = TimeIncrement::Days(1).slices(all[0].0, all[0].1);
        let by_day = rows(&facts, &templates, &daily, Level::Account, None);
        assert_eq!(
            by_day.iter().map(|r| r.counts.sent).collect::<Vec<_>>(),
            vec![7, 5]
        );
        // A template with activity on one day has a zero row on the other.
        let ads_by_day = rows(&facts, &templates, &daily, Level::Ad, None);
        assert_eq!(
            ads_by_day
                .iter()
                .map(|r| (r.key.from, r.key.template, r.counts.sent))
                .collect::<Vec<_>>(),
            vec![
                (day("2025-06-01"), Some(TemplateId::new(10)), 3),
                (day("2025-06-01"), Some(TemplateId::new(11)), 4),
                (day("2025-06-02"), Some(TemplateId::new(10)), 5),
                (day("2025-06-02"), Some(TemplateId::new(11)), 0),
            ]
        );
        assert!(
            rows(
                &facts,
                &templates,
                &[(day("2025-07-01"), day("2025-07-02"))],
                Level::Account,
                None
            )
            .is_empty()
        );
        let named = |t: TemplateId| Some(format!("button {}", t.get()));
        let buttons = rows(&facts, &templates, &all, Level::Account, Some(&named));
        assert_eq!(buttons.len(), 2);
        assert_eq!(buttons[0].key.button.as_deref(), Some("button 10"));
    }

    #[test]
    fn numbers_are_written_as_graph_writes_them() {
        assert_eq!(decimal(rate(2, 4)), "50");
        assert_eq!(decimal(rate(265, 55)), "481.818182");
        assert_eq!(decimal(rate(59, 55)), "107.272727");
        assert_eq!(decimal(0.04), "0.04");
        assert_eq!(decimal(rate(1, 0)), "0");
        assert_eq!(decimal(12.0), "12");
    }
}
