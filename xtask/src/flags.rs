//! Command-line parsing, by hand: four commands do not need a parser crate.

pub const USAGE: &str = "\
cargo xtask <command>

Commands:
  test [--allow-missing-services] [-- <cargo test args>]
        rustfmt check, clippy (-D warnings), deploy/ config checks, then
        `cargo test --workspace` against a private PostgreSQL and Redis
        (ACMETOCASINO_TEST_PG_URL / ACMETOCASINO_TEST_REDIS_URL).
        --allow-missing-services  run without PostgreSQL/Redis when they are not
                                  installed (sets ACMETOCASINO_ALLOW_MISSING_SERVICES=1)
        e.g. cargo xtask test -- -p wallet-core -- --nocapture
  services
        start a private PostgreSQL and Redis, print their URLs as `export` lines,
        stop them on Ctrl-C or stdin EOF
  run [-- <args>]
        cargo run --release -p acmetocasino -- <args>
  help
        this text
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Test(TestFlags),
    Services,
    Run { app_args: Vec<String> },
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct TestFlags {
    pub allow_missing_services: bool,
    /// Everything after `--`, appended to `cargo test`.
    pub cargo_test_args: Vec<String>,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "test" => {
            let mut flags = TestFlags::default();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--allow-missing-services" => flags.allow_missing_services = true,
                    "-h" | "--help" => return Ok(Command::Help),
                    "--" => {
                        flags.cargo_test_args = args.by_ref().collect();
                    }
                    other => {
                        return Err(format!(
                            "unknown argument to `test`: `{other}` (arguments for cargo test go after `--`)"
                        ));
                    }
                }
            }
            Ok(Command::Test(flags))
        }
        "services" => match args.next() {
            None => Ok(Command::Services),
            Some(arg) if arg == "-h" || arg == "--help" => Ok(Command::Help),
            Some(other) => Err(format!("unknown argument to `services`: `{other}`")),
        },
        "run" => {
            let mut app_args: Vec<String> = args.collect();
            if app_args.first().is_some_and(|arg| arg == "--") {
                app_args.remove(0);
            }
            Ok(Command::Run { app_args })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_each_command() {
        let cases: &[(&str, Result<Command, String>)] = &[
            ("", Ok(Command::Help)),
            ("help", Ok(Command::Help)),
            ("test", Ok(Command::Test(TestFlags::default()))),
            (
                "test --allow-missing-services -- -p kernel -- --nocapture",
                Ok(Command::Test(TestFlags {
                    allow_missing_services: true,
                    cargo_test_args: ["-p", "kernel", "--", "--nocapture"].map(String::from).to_vec(),
                })),
            ),
            ("services", Ok(Command::Services)),
            ("run", Ok(Command::Run { app_args: vec![] })),
            ("run -- --bind 0.0.0.0:1", Ok(Command::Run { app_args: vec!["--bind".into(), "0.0.0.0:1".into()] })),
        ];
        for (line, expected) in cases {
            assert_eq!(&parse_str(line), expected, "input: {line:?}");
        }
    }

    #[test]
    fn rejects_unknown_input() {
        for line in ["frobnicate", "test --nocapture", "services now"] {
            assert!(parse_str(line).is_err(), "input: {line:?}");
        }
    }
}
