//! Durations as administrators write them: `30s`, `15m`, `1h`, `2d`.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// A length of time read from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Period(pub Duration);

/// Why a period could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a duration: write a whole number and a unit, as in 30s, 15m, 1h or 2d", smtp::quoted(.0))]
pub struct PeriodError(String);

impl TryFrom<String> for Period {
    type Error = PeriodError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || PeriodError(text.to_owned());
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(bad)?;
        let (number, unit) = trimmed.split_at(split);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        number
            .checked_mul(seconds)
            .map(|s| Period(Duration::from_secs(s)))
            .ok_or_else(bad)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs();
        match s {
            0 => write!(f, "0s"),
            _ if s.is_multiple_of(86_400) => write!(f, "{}d", s / 86_400),
            _ if s.is_multiple_of(3600) => write!(f, "{}h", s / 3600),
            _ if s.is_multiple_of(60) => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!("30s".parse(), Ok(Period(Duration::from_secs(30))));
        assert_eq!("15m".parse(), Ok(Period(Duration::from_secs(900))));
        assert_eq!("1h".parse(), Ok(Period(Duration::from_secs(3600))));
        assert_eq!("2d".parse(), Ok(Period(Duration::from_secs(172_800))));
        assert_eq!(Period(Duration::from_secs(5400)).to_string(), "90m");
    }

    #[test]
    fn refused() {
        for bad in [
            "",
            "15",
            "m",
            "1.5h",
            "-1h",
            "1 week",
            "99999999999999999999d",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
