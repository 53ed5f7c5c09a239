/// mimalloc: answers of many kilobytes are allocated, filled and freed on every call, and
/// the system allocator spent more time on them than the encryption did.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = keyhall_server::cli::parse();
    match keyhall_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output went away (`keyhall openapi | head`): nothing to report.
        Err(e) if keyhall_server::cli::is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyhall: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
