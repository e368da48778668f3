//! bench-coldstart: see `bench-coldstart --help` and bench-coldstart/README.md. The code is
//! the library's [`rayo_bench::app`], which `cargo rayo bench` runs too.

fn main() -> std::process::ExitCode {
    rayo_bench::app::main(
        "bench-coldstart",
        std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        std::env::args_os().skip(1).collect(),
    )
}
