//! `deploy`: create or update a rayo function on Lambda (`provided.al2023`); the code is
//! the library's [`rayo_deploy::cli`], which `cargo rayo deploy` runs too.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    rayo_deploy::cli::main("deploy", std::env::args_os().skip(1))
}
