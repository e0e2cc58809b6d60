// Reading and diffing 10,000 gates is allocation-bound: mimalloc makes it a third faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(gatesctl::cli::main());
}
