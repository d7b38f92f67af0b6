//! `corridor`: the Corridor command line for caseworkers, hosts and coordinators.
//!
//! A thin shell over `corridor_client::Client`: parse the command line, get the passphrase,
//! call the client, print the result with everything that came from someone else
//! sanitized. `docs/caseworkers.md` is the user guide.
#![forbid(unsafe_code)]

mod backend;
mod cli;
mod commands;
mod context;
mod errors;
mod exit_codes;
mod input;
mod output;
mod passphrase;
mod qr;
mod sanitize;
mod spinner;

use clap::Parser as _;

use crate::cli::Cli;
use crate::context::Context;
use crate::exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            if !err.use_stderr() {
                // --help, --version: text on stdout, even with --json.
                let _ = err.print();
                return ExitCode::Success.into();
            }
            if std::env::args_os().any(|a| a == "--json") {
                output::set_json_mode(true);
                errors::report(&errors::usage_error(&err));
            } else {
                let _ = err.print();
            }
            return ExitCode::Usage.into();
        }
    };
    output::set_json_mode(cli.global.json);
    output::set_local_time(cli.global.local_time);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("corridor: cannot start the async runtime: {err}");
            return ExitCode::GeneralError.into();
        }
    };
    let result = runtime.block_on(async {
        let mut ctx = Context::new(cli.global)?;
        let result = cli.command.run(&mut ctx).await;
        // Let background work finish (a duress alert in flight) before the process ends.
        ctx.lock().await;
        result
    });
    // Do not wait for a blocking read of stdin that will never finish (a shell that stops
    // because its profile was destroyed elsewhere); the client was closed above.
    runtime.shutdown_background();
    match result {
        Ok(code) => code.into(),
        Err(err) => errors::report(&err).into(),
    }
}
