//! The `docket` binary: parses the command line, starts logging and hands over
//! to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = docket::cli::Cli::parse();
    docket::telemetry::init_logs(cli.log_format);
    let code = docket::cli::run(cli);
    docket::telemetry::shutdown();
    code
}
