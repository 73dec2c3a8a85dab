//! mycloud: parse the command line, build the configuration, run the command; all of it
//! in the library (`src/lib.rs`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    mycloud::main()
}
