fn main() {
    std::process::exit(gatesctl::cli::main());
}
