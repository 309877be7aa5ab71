//! Graph API versions (`v23.0`).

use std::fmt;
use std::str::FromStr;

/// A Graph API version such as `v23.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GraphVersion {
    /// The major number.
    pub major: u16,
    /// The minor number (always 0 in practice).
    pub minor: u16,
}

impl GraphVersion {
    /// Builds `v{major}.{minor}`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }
}

impl FromStr for GraphVersion {
    type Err = ();

    /// Parses the path segment form, `v` + digits + `.` + digits.
    fn from_str(s: &str) -> Result<Self, ()> {
        let rest = s.strip_prefix('v').ok_or(())?;
        let (major, minor) = rest.split_once('.').ok_or(())?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return Err(());
        }
        Ok(Self {
            major: major.parse().map_err(|_| ())?,
            minor: minor.parse().map_err(|_| ())?,
        })
    }
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let v23: GraphVersion = "v23.0".parse().expect("v23.0");
        assert_eq!(v23.to_string(), "v23.0");
        assert!(v23 < "v24.0".parse().expect("v24.0"));
        for bad in ["23.0", "v23", "v.0", "vx.0", "v23.0.1", ""] {
            assert!(bad.parse::<GraphVersion>().is_err(), "{bad}");
        }
    }
}
