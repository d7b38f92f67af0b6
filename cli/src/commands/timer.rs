//! `corridor timer`: the disappearing-message timer of a conversation.

use std::time::Duration;

use serde::Serialize;

use crate::context::Context;
use crate::output;
use crate::sanitize::sanitize;

/// The longest timer accepted: a year.
const MAX_TIMER_SECS: u64 = 365 * 24 * 3600;

/// Make messages with a contact disappear after a while, or stop that.
///
/// Messages stored from now on, sent or received, are deleted from this device that long
/// after their time; the contact is told (on the next send or sync) so their copies
/// disappear too. Messages already stored keep their old expiry.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The contact's label
    #[arg(value_name = "CONTACT")]
    contact: String,

    /// How long messages live, e.g. 1h, 7d, 1h 30m; or `off`
    #[arg(value_name = "DURATION|off", value_parser = parse_timer)]
    after: Timer,
}

/// A timer setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// No timer.
    Off,
    /// Messages disappear this many seconds after their time.
    After(u64),
}

/// Parses `off` or a humantime duration between one minute and a year.
pub(crate) fn parse_timer(text: &str) -> Result<Timer, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Timer::Off);
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{e}: expected a duration such as 1h, 7d or 1h 30m, or off"))?;
    if d < Duration::from_secs(60) {
        return Err(
            "the shortest timer is one minute (message times are kept to the minute)".into(),
        );
    }
    if d.as_secs() > MAX_TIMER_SECS {
        return Err("the longest timer is 365 days".into());
    }
    Ok(Timer::After(d.as_secs()))
}

#[derive(Serialize)]
struct Set<'a> {
    contact: &'a str,
    timer_secs: Option<u64>,
}

impl Args {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let json = ctx.json;
        let client = ctx.client().await?;
        let contact = super::find_contact(client, &self.contact)?;
        let secs = match self.after {
            Timer::Off => None,
            Timer::After(secs) => Some(secs),
        };
        client.set_timer(&contact.label, secs)?;
        if json {
            return Ok(output::json(&Set {
                contact: &contact.label,
                timer_secs: secs,
            })?);
        }
        let label = sanitize(&contact.label);
        match secs {
            Some(secs) => output::line(format_args!(
                "Messages with {label} now disappear {} after their time.",
                humantime::format_duration(Duration::from_secs(secs))
            ))?,
            None => output::line(format_args!("Messages with {label} no longer disappear."))?,
        }
        output::hint("The contact is told with your next `corridor send` or `corridor sync`.");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(parse_timer("off"), Ok(Timer::Off));
        assert_eq!(parse_timer("OFF"), Ok(Timer::Off));
        assert_eq!(parse_timer("1h"), Ok(Timer::After(3600)));
        assert_eq!(parse_timer("7d"), Ok(Timer::After(7 * 86_400)));
        assert!(parse_timer("30s").is_err());
        assert!(parse_timer("366d").is_err());
        assert!(parse_timer("soon").unwrap_err().contains("1h"));
    }
}
