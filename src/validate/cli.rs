//! The `validate` subcommand's arguments and its run: read, check, report, exit code.

use std::io::{Read, Write};

use clap::{Parser, ValueEnum};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::catalog::Catalog;
use super::input;

/// Exit code when every document is valid.
pub const EXIT_VALID: u8 = 0;
/// Exit code when anything was found, or an input could not be read.
pub const EXIT_INVALID: u8 = 1;
/// Exit code of usage errors (clap's, too).
pub const EXIT_USAGE: u8 = 2;

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// One kubectl-like line per error, then a summary.
    #[default]
    Text,
    /// A JSON array of `{file, document, kind, name, field, message}`; the summary goes to
    /// stderr.
    Json,
}

/// `zitadel-user-operator validate`: check manifests offline against the CRDs this binary
/// ships.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "zitadel-user-operator validate",
    bin_name = "zitadel-user-operator validate",
    about = "Check manifests offline against the CRDs this binary ships",
    long_about = "Check manifests offline against the CRDs this binary ships: schema, \
        defaults and CEL rules as the API server applies them on create, plus duplicate user \
        ids and usernames per organization and secretRef keys. Documents of other API groups \
        are skipped. Transition rules (CEL rules on oldSelf) need the stored object and are \
        not evaluated.",
    after_help = "Exit status: 0 when valid, 1 when any error is found, 2 on usage errors.\n\
        Example: kustomize build overlays/prod | zitadel-user-operator validate -"
)]
pub struct ValidateArgs {
    /// Files (multi-document YAML), directories (their *.yaml and *.yml files), or `-` for
    /// stdin (e.g. `kustomize build` or `helm template` output).
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub paths: Vec<String>,

    /// Walk directories recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// Run the subcommand: returns the exit code. Output errors (a closed pipe) are ignored; the
/// exit code still tells.
pub fn run(
    args: &ValidateArgs,
    crds: &[CustomResourceDefinition],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let catalog = match Catalog::new(crds) {
        Ok(catalog) => catalog,
        Err(error) => {
            let _ = writeln!(stderr, "error: {error}");
            return EXIT_INVALID;
        }
    };
    let inputs = input::collect(&args.paths, args.recursive, stdin);
    let report = super::validate(&catalog, &inputs);
    match args.output {
        OutputFormat::Text => {
            let _ = stdout.write_all(report.text().as_bytes());
        }
        OutputFormat::Json => match report.json() {
            Ok(json) => {
                let _ = stdout.write_all(json.as_bytes());
                let _ = stderr.write_all(report.summary().as_bytes());
            }
            Err(error) => {
                let _ = writeln!(stderr, "error: cannot render the report: {error}");
                return EXIT_INVALID;
            }
        },
    }
    if report.is_valid() {
        EXIT_VALID
    } else {
        EXIT_INVALID
    }
}
