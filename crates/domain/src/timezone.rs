//! WABA time zones: Meta names a WABA's time zone by a numeric `timezone_id` from its own
//! table; template analytics can count days in it (`use_waba_timezone=true`).
//!
//! wamm knows the IDs below, each with its IANA name and the offset rule in force since 2019
//! (Brazil dropped daylight saving that year). An ID not in the table reads as unknown:
//! facts are still kept by UTC day, and `use_waba_timezone` is refused for that WABA rather
//! than answered in a zone wamm would have to guess.

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, Weekday};

use crate::time::Timestamp;

/// How a zone's offset from UTC is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// A fixed offset, in minutes east of UTC.
    Fixed(i32),
    /// United States daylight saving: `standard` minutes east of UTC, one hour more from the
    /// second Sunday of March, 02:00 local, to the first Sunday of November, 02:00 local.
    UnitedStates(i32),
}

/// A time zone wamm knows: Meta's ID, the IANA name, the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// Meta's `timezone_id`.
    pub id: &'static str,
    /// The IANA name, as `waba_timezone` writes it.
    pub name: &'static str,
    rule: Rule,
}

/// Meta's time zone IDs wamm knows. "1" is the zone of Meta's own WABA examples; 71, 105
/// and 474 are as a public WhatsApp platform's code gives them, checked there against Meta's
/// time zone ID reference.
const ZONES: [Zone; 4] = [
    // Meta's own WABA examples use "1", its Los Angeles zone.
    Zone {
        id: "1",
        name: "America/Los_Angeles",
        rule: Rule::UnitedStates(-8 * 60),
    },
    Zone {
        id: "71",
        name: "Asia/Kolkata",
        rule: Rule::Fixed(5 * 60 + 30),
    },
    Zone {
        id: "105",
        name: "Asia/Karachi",
        rule: Rule::Fixed(5 * 60),
    },
    Zone {
        id: "474",
        name: "UTC",
        rule: Rule::Fixed(0),
    },
];

/// The zone Meta's `timezone_id` names, if wamm knows it.
pub fn zone(timezone_id: &str) -> Option<Zone> {
    ZONES.iter().copied().find(|z| z.id == timezone_id.trim())
}

/// The IDs wamm knows, for error messages and the README.
pub fn known_ids() -> Vec<&'static str> {
    ZONES.iter().map(|z| z.id).collect()
}

/// The `n`-th `weekday` of `month` in `year` (1-based), as a date.
fn nth(year: i32, month: u32, weekday: Weekday, n: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let shift = (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    first + chrono::Days::new(u64::from(shift + 7 * (n - 1)))
}

impl Zone {
    /// Minutes east of UTC at `at`.
    pub fn offset_minutes(self, at: Timestamp) -> i32 {
        match self.rule {
            Rule::Fixed(m) => m,
            Rule::UnitedStates(standard) => {
                let utc = chrono::DateTime::from_timestamp_millis(at.millis())
                    .unwrap_or_default()
                    .naive_utc();
                let year = utc.year();
                let at2 =
                    |d: NaiveDate| -> NaiveDateTime { d.and_hms_opt(2, 0, 0).unwrap_or_default() };
                // The switches, in UTC: 02:00 standard time in March, 02:00 daylight time in
                // November.
                let start = at2(nth(year, 3, Weekday::Sun, 2))
                    - chrono::TimeDelta::minutes(i64::from(standard));
                let end = at2(nth(year, 11, Weekday::Sun, 1))
                    - chrono::TimeDelta::minutes(i64::from(standard + 60));
                if utc >= start && utc < end {
                    standard + 60
                } else {
                    standard
                }
            }
        }
    }

    /// `at` moved to the zone's wall clock (still counted from the Unix epoch), so that its
    /// UTC day is the zone's local day.
    pub fn local(self, at: Timestamp) -> Timestamp {
        at.plus_seconds(i64::from(self.offset_minutes(at)) * 60)
    }

    /// The first instant of the local day `day` (days since 1970-01-01).
    pub fn day_start(self, day: i64) -> Timestamp {
        let wall = Timestamp::from_millis(day.saturating_mul(86_400_000));
        // The offset at the wall-clock midnight, read as if it were UTC, is right except
        // within an hour of a switch; no switch happens at midnight in these zones.
        let guess = wall.plus_seconds(-i64::from(self.offset_minutes(wall)) * 60);
        wall.plus_seconds(-i64::from(self.offset_minutes(guess)) * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("time")
    }

    #[test]
    fn los_angeles_follows_us_daylight_saving() {
        let la = zone("1").expect("known");
        assert_eq!(la.name, "America/Los_Angeles");
        assert_eq!(la.offset_minutes(at("2031-01-15T12:00:00Z")), -480);
        assert_eq!(la.offset_minutes(at("2031-07-15T12:00:00Z")), -420);
        // 2031-03-09 is the second Sunday of March: 02:00 PST is 10:00 UTC.
        assert_eq!(la.offset_minutes(at("2031-03-09T09:59:59Z")), -480);
        assert_eq!(la.offset_minutes(at("2031-03-09T10:00:00Z")), -420);
        // 2031-11-02 is the first Sunday of November: 02:00 PDT is 09:00 UTC.
        assert_eq!(la.offset_minutes(at("2031-11-02T08:59:59Z")), -420);
        assert_eq!(la.offset_minutes(at("2031-11-02T09:00:00Z")), -480);
        // 06:00 UTC on Feb 3 is still Feb 2 in Los Angeles.
        assert_eq!(la.local(at("2031-02-03T06:00:00Z")).date(), "2031-02-02");
        let feb2 = crate::metrics::Day::of(at("2031-02-02T00:00:00Z")).0;
        assert_eq!(la.day_start(feb2), at("2031-02-02T08:00:00Z"));
        let jul2 = crate::metrics::Day::of(at("2031-07-02T00:00:00Z")).0;
        assert_eq!(la.day_start(jul2), at("2031-07-02T07:00:00Z"));
    }

    #[test]
    fn fixed_zones_and_unknown_ids() {
        let kolkata = zone("71").expect("known");
        assert_eq!(kolkata.offset_minutes(at("2031-02-03T00:00:00Z")), 330);
        assert_eq!(
            kolkata.local(at("2031-02-03T20:00:00Z")).date(),
            "2031-02-04"
        );
        assert_eq!(zone(" 474 ").map(|z| z.name), Some("UTC"));
        assert!(zone("9999").is_none());
        assert!(known_ids().contains(&"1"));
    }
}
