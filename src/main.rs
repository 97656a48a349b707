fn main() {
    std::process::exit(gov::cli::main());
}
