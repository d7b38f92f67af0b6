//! `corridor request`: ask an organization for help (the requester's side), and
//! `corridor requests`: the requests this profile sent.

use serde::Serialize;

use crate::backend::{
    ClientError, Field, FieldError, IntakeForm, IntakeRequest, Need, RequestView, Urgency,
};
use crate::context::Context;
use crate::exit_codes::{ExitCode, Failure};
use crate::sanitize::sanitize;
use crate::{input, output, spinner};

/// Ask an organization for help, with an intake or referral code it gave you.
///
/// The request goes to the organization's coordinators under a new key made for this
/// request alone; nothing else in this profile is linked to it. Replies arrive as messages
/// from a new contact (shown after sending): read them with `corridor sync` and `corridor
/// inbox`, answer with `corridor send`. Every field is checked before anything is sent;
/// a wrong one is named, with what is expected (exit code 2).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The intake or referral code (or - to read it from stdin)
    #[arg(value_name = "CODE")]
    code: String,

    /// The name you want to be called (not your real name; 1-64 characters)
    #[arg(long, value_name = "ALIAS")]
    alias: String,

    /// Where you are, coarsely: a city or region, never an address (1-100 characters)
    #[arg(long, value_name = "REGION")]
    region: String,

    /// How many people in all, children included (1-100)
    #[arg(long, value_name = "N")]
    people: u32,

    /// How many of them are children [default: 0]
    #[arg(long, value_name = "N", default_value_t = 0)]
    children: u32,

    /// What a host must know about the household (at most 1,000 characters)
    #[arg(long, value_name = "TEXT", default_value = "")]
    household: String,

    /// What help is needed: one or more of shelter,travel,legal,medical,documents
    #[arg(long, value_name = "LIST")]
    needs: String,

    /// Languages you speak, most preferred first, e.g. tr,ru,az (1-8 tags)
    #[arg(long, value_name = "LIST")]
    languages: String,

    /// How urgent: low, medium, high or critical
    #[arg(long, value_name = "LEVEL")]
    urgency: String,

    /// When and how contact is safe (1-300 characters)
    #[arg(long, value_name = "TEXT")]
    safe_contact: String,

    /// Anything else, in your own words (at most 4,000 characters)
    #[arg(long, value_name = "TEXT", default_value = "")]
    note: String,
}

/// The command-line option for a field of the form, for errors.
fn option_of(field: Field) -> &'static str {
    match field {
        Field::Alias => "--alias",
        Field::Region => "--region",
        Field::Adults => "--people",
        Field::Children => "--children",
        Field::Household => "--household",
        Field::Needs => "--needs",
        Field::Languages => "--languages",
        Field::Urgency => "--urgency",
        Field::SafeContact => "--safe-contact",
        Field::Note => "--note",
        _ => "an option",
    }
}

fn field_of(err: &FieldError) -> Option<Field> {
    match err {
        FieldError::Empty(f) | FieldError::ForbiddenCharacter(f) => Some(*f),
        FieldError::TooLong { field, .. } | FieldError::Invalid { field, .. } => Some(*field),
        _ => None,
    }
}

/// A field error as a usage failure naming the option (never the value typed).
pub(crate) fn field_failure(err: &FieldError) -> Failure {
    let option = field_of(err).map_or("an option", option_of);
    let what = match err {
        FieldError::Empty(_) => "must not be empty".to_string(),
        FieldError::TooLong { max, .. } => format!("must be at most {max} characters"),
        FieldError::ForbiddenCharacter(_) => {
            "must not contain control or bidirectional-override characters".to_string()
        }
        FieldError::Invalid {
            field: Field::Adults,
            ..
        } => "expected at most 50 adults (--people minus --children) and at least one person"
            .to_string(),
        FieldError::Invalid { expected, .. } => format!("expected {expected}"),
        other => other.to_string(),
    };
    Failure::new(
        ExitCode::Usage,
        format!("{option}: {what}; nothing was sent"),
    )
}

/// Requester-side people count as the form wants it: adults and children.
fn split_people(people: u32, children: u32) -> Result<(u32, u32), Failure> {
    if people == 0 {
        return Err(Failure::new(
            ExitCode::Usage,
            "--people: expected at least 1 (everyone who travels, children included); nothing \
             was sent",
        ));
    }
    match people.checked_sub(children) {
        Some(adults) => Ok((adults, children)),
        None => Err(Failure::new(
            ExitCode::Usage,
            "--children: expected at most --people (which counts everyone, children included); \
             nothing was sent",
        )),
    }
}

impl Args {
    fn form(self) -> anyhow::Result<(String, IntakeForm)> {
        let (adults, children) = split_people(self.people, self.children)?;
        let needs = parse_needs(&self.needs).map_err(|e| field_failure(&e))?;
        let urgency = self
            .urgency
            .parse::<Urgency>()
            .map_err(|e| field_failure(&e))?;
        let form = IntakeForm {
            alias: self.alias,
            region: self.region,
            adults,
            children,
            household: self.household,
            needs,
            languages: crate::backend::parse_languages(&self.languages),
            urgency: Some(urgency),
            safe_contact: self.safe_contact,
            note: self.note,
        };
        // Every field checked before the passphrase is asked for or anything is sent.
        IntakeRequest::new(&form).map_err(|e| field_failure(&e))?;
        Ok((self.code, form))
    }

    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let (code, form) = self.form()?;
        let code = input::text_or_stdin(code, "the intake code")?;
        let client = ctx.client().await?;
        let host = super::relay_host(client);
        let sent = spinner::during(
            "Sending the request",
            &host,
            client.request_help(code.trim(), &form),
        )
        .await;
        let view = match sent {
            Err(ClientError::InvalidField(err)) => return Err(field_failure(&err).into()),
            other => other?,
        };
        if output::json_mode() {
            return Ok(output::json(&Row::of(&view))?);
        }
        let desk = sanitize(&view.desk);
        output::line(format_args!(
            "Request {} sent. Answers come from the contact '{desk}': run `corridor sync`, then \
             `corridor inbox {desk}`; write back with `corridor send {desk} TEXT`.",
            sanitize(&view.id)
        ))?;
        Ok(())
    }
}

fn parse_needs(list: &str) -> Result<Vec<Need>, FieldError> {
    let set = crate::backend::Needs::parse_list(list)?;
    Ok(set.iter().collect())
}

/// One request, in `corridor request --json` and `corridor requests --json`.
#[derive(Serialize)]
struct Row<'a> {
    request: &'a str,
    alias: &'a str,
    contact: &'a str,
    sent_at: u64,
    closed: bool,
    purge_at: Option<u64>,
}

impl<'a> Row<'a> {
    fn of(view: &'a RequestView) -> Self {
        Row {
            request: &view.id,
            alias: &view.alias,
            contact: &view.desk,
            sent_at: view.sent_at,
            closed: view.closed,
            purge_at: view.purge_at,
        }
    }
}

/// List the requests for help this profile sent, and which contact answers each.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {}

impl ListArgs {
    pub(crate) async fn run(self, ctx: &mut Context) -> anyhow::Result<()> {
        let requests = ctx.client().await?.requests()?;
        if output::json_mode() {
            let rows: Vec<Row<'_>> = requests.iter().map(Row::of).collect();
            return Ok(output::json(&rows)?);
        }
        if requests.is_empty() {
            output::hint("No requests. Ask for help with `corridor request CODE ...`.");
        }
        for r in &requests {
            let state = match (r.closed, r.purge_at) {
                (true, Some(at)) => format!("closed; forgotten at {}", output::time(at)),
                (true, None) => "closed".to_string(),
                (false, _) => "open".to_string(),
            };
            output::line(format_args!(
                "{}  as {}  sent {}  answers from '{}'  {state}",
                sanitize(&r.id),
                sanitize(&r.alias),
                output::time(r.sent_at),
                sanitize(&r.desk)
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_counts_everyone() {
        assert_eq!(split_people(3, 1).ok(), Some((2, 1)));
        assert_eq!(split_people(1, 0).ok(), Some((1, 0)));
        assert_eq!(split_people(2, 2).ok(), Some((0, 2)));
        assert!(
            split_people(0, 0)
                .unwrap_err()
                .to_string()
                .contains("--people")
        );
        assert!(
            split_people(1, 2)
                .unwrap_err()
                .to_string()
                .contains("--children")
        );
    }

    #[test]
    fn field_errors_name_the_option_and_not_the_value() {
        let err = parse_needs("shelter,boat").unwrap_err();
        let failure = field_failure(&err);
        assert_eq!(failure.code(), ExitCode::Usage);
        let text = failure.to_string();
        assert!(text.starts_with("--needs: "), "{text}");
        assert!(!text.contains("boat"), "{text}");
        let err = "soon".parse::<Urgency>().unwrap_err();
        assert!(field_failure(&err).to_string().starts_with("--urgency: "));
    }
}
