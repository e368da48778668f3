//! UTC timestamps in the two forms SigV4 needs (`20150830T123600Z` and `20150830`), without a
//! date crate: only the proleptic Gregorian conversion from Unix seconds is needed, and
//! rayo-wire has it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmzDate {
    /// The year.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 59.
    pub second: u32,
}

impl AmzDate {
    /// The current time. A clock before 1970 is treated as 1970 (signing will then fail with
    /// the service's clock-skew error, which names the problem).
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self::from_unix(secs as i64)
    }

    /// Converts seconds since the Unix epoch (rayo-wire's civil-from-days).
    pub fn from_unix(secs: i64) -> Self {
        let (year, month, day) = rayo_wire::date::civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        AmzDate {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (the form the SigV4 test suite uses).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> { text.get(r)?.parse().ok() };
        let d = AmzDate {
            year: i64::from(num(0..4)?),
            month: num(5..7)?,
            day: num(8..10)?,
            hour: num(11..13)?,
            minute: num(14..16)?,
            second: num(17..19)?,
        };
        let valid = (1..=12).contains(&d.month)
            && (1..=31).contains(&d.day)
            && d.hour < 24
            && d.minute < 60
            && d.second < 61;
        valid.then_some(d)
    }

    /// `20150830T123600Z`
    pub fn amz_date(&self) -> String {
        format!(
            "{}T{:02}{:02}{:02}Z",
            self.date_stamp(),
            self.hour,
            self.minute,
            self.second
        )
    }

    /// `20150830`
    pub fn date_stamp(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_conversion_matches_known_instants() {
        // 2015-08-30T12:36:00Z, the SigV4 suite's timestamp.
        assert_eq!(
            AmzDate::from_unix(1_440_938_160).amz_date(),
            "20150830T123600Z"
        );
        assert_eq!(AmzDate::from_unix(0).amz_date(), "19700101T000000Z");
        // A leap day.
        assert_eq!(
            AmzDate::from_unix(951_782_400).amz_date(),
            "20000229T000000Z"
        );
        assert_eq!(
            AmzDate::from_unix(1_795_996_799).amz_date(),
            "20261129T235959Z"
        );
    }

    #[test]
    fn parses_suite_timestamp() {
        let d = AmzDate::parse_rfc3339("2015-08-30T12:36:00Z");
        assert_eq!(d, Some(AmzDate::from_unix(1_440_938_160)));
        assert_eq!(AmzDate::parse_rfc3339("2015-13-30T12:36:00Z"), None);
        assert_eq!(AmzDate::parse_rfc3339("2015-08-30 12:36:00"), None);
    }
}
