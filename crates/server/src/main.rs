use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = keyhall_server::cli::Cli::parse();
    match keyhall_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyhall: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
