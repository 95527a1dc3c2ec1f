//! `quickcart`: parses the command line and dispatches. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;
use quickcart::{
    cli::{AuditCommand, BackupCommand, Cli, Command, DbCommand, LogsCommand, RoleCommand, UserCommand},
    config::{self, Config, ProcessEnv},
    demo, ops,
    security::redact::mask_tokens,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve) {
        // Before any thread exists: may run this program again with fewer malloc arenas.
        ops::malloc::limit_arenas();
    }
    if let Err(e) = config::load_dotenv() {
        return fail(&e);
    }
    let result = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run(cli.command)),
        Err(e) => Err(anyhow::anyhow!("runtime: {e}")),
    };
    // The runtime is gone, and every database handle with it; let their connections close on
    // their own thread before the exit handlers run.
    quickcart::store::settle();
    match result {
        Ok(code) => code,
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// One clear line on stderr, with anything shaped like a bot token masked.
fn fail(msg: &str) -> ExitCode {
    eprintln!("quickcart: {}", mask_tokens(msg));
    ExitCode::FAILURE
}

fn config() -> anyhow::Result<Config> {
    Ok(Config::from_source(&ProcessEnv)?)
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let config = config()?;
            let _guard = ops::logs::init(Some(&config.log_dir), "info");
            quickcart::app::serve(config).await?;
        }
        Command::Demo { script } => return demo::run(script.as_deref()).await,
        Command::Doctor { offline, fix, env_file, user } => {
            let env_file = ops::doctor::default_env_file(env_file);
            if let Some(file) = &env_file {
                config::load_env_file(file).map_err(anyhow::Error::msg)?;
            }
            let opts = ops::doctor::Options { offline, fix, env_file, user };
            let report = ops::doctor::run(&ProcessEnv, &opts).await;
            println!("{}", report.text());
            return Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        Command::Setup(a) => {
            let a = *a;
            let shop = ops::setup::Layout::for_env_file(&a.env_file);
            let opts = ops::setup::Options {
                bot_token: a.bot_token,
                admin_id: a.admin_id,
                pakasir_project: a.pakasir_project,
                pakasir_api_key: a.pakasir_api_key,
                pakasir_webhook_secret: a.pakasir_webhook_secret,
                domain: a.domain,
                no_domain: a.no_domain,
                env_file: a.env_file,
                caddyfile: a.caddyfile.unwrap_or_else(|| shop.caddyfile()),
                recipients_file: a.recipients_file,
                identity_file: a.identity_file,
                data_dir: a.data_dir.unwrap_or_else(|| shop.data_dir()),
                log_dir: a.log_dir.unwrap_or_else(|| shop.log_dir()),
                backup_dir: a.backup_dir.unwrap_or_else(|| shop.backup_dir()),
                yes: a.yes,
                force: a.force,
                user: a.user,
            };
            let healthy = ops::setup::run(opts).await?;
            return Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        Command::Db { command } => {
            let config = config()?;
            match command {
                DbCommand::Migrate => println!("{}", ops::maintenance::db_migrate(&config)?),
                DbCommand::Stats => println!("{}", ops::maintenance::db_stats(&config)?),
                DbCommand::Rekey { new_key_file, new_key } => {
                    println!("{}", ops::keys::rekey(&config, new_key_file.as_deref(), new_key)?)
                }
                DbCommand::Check => {
                    let (report, healthy) = ops::maintenance::db_check(&config)?;
                    println!("{report}");
                    if !healthy {
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
        }
        Command::User { command } => {
            let config = config()?;
            match command {
                UserCommand::Export { id } => println!("{}", ops::maintenance::user_export(&config, id)?),
                UserCommand::Erase { id } => println!("{}", ops::maintenance::user_erase(&config, id)?),
            }
        }
        Command::Audit { command } => {
            let config = config()?;
            match command {
                AuditCommand::Verify => {
                    let (report, intact) = ops::maintenance::audit_verify(&config)?;
                    println!("{report}");
                    if !intact {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                AuditCommand::Tail { actor, action, n } => {
                    println!("{}", ops::maintenance::audit_tail(&config, actor, action, n)?)
                }
            }
        }
        Command::Report { days } => {
            let config = config()?;
            let _guard = ops::logs::init(None, "warn");
            println!("{}", ops::report::run(&config, days)?);
        }
        Command::Keygen { identity_file, recipients_file } => {
            println!("{}", ops::keys::keygen(identity_file.as_deref(), recipients_file.as_deref())?)
        }
        Command::Backup { command } => {
            let config = config()?;
            let _guard = ops::logs::init(None, "warn");
            match command {
                BackupCommand::Create => {
                    // The local backup is reported before the upload: it exists even if that fails.
                    println!("{}", ops::backup::create(&config)?.report());
                    if let Some(remote) = ops::offsite::remote(&config) {
                        println!("{}", ops::offsite::upload_pending(&config, &remote)?);
                    }
                }
                BackupCommand::Verify { file, identity, remote } => {
                    let fetched = remote.then(|| ops::offsite::fetch(&config, &file.to_string_lossy())).transpose()?;
                    let path = fetched.as_ref().map_or(file.as_path(), |f| f.path.as_path());
                    let verified = ops::backup::verify(path, &identity, config.require_key()?, &std::env::temp_dir())?;
                    if let Some(f) = &fetched {
                        println!("{}", f.report);
                    }
                    println!("{}", verified.report(&file));
                }
                BackupCommand::Restore { file, identity, remote } => {
                    let fetched = remote.then(|| ops::offsite::fetch(&config, &file.to_string_lossy())).transpose()?;
                    if let Some(f) = &fetched {
                        println!("{}", f.report);
                    }
                    let path = fetched.as_ref().map_or(file.as_path(), |f| f.path.as_path());
                    println!("{}", ops::backup::restore(&config, path, &identity)?)
                }
                BackupCommand::List => {
                    let (report, complete) = ops::offsite::list(&config)?;
                    println!("{report}");
                    if !complete {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                BackupCommand::Prune { keep_last, keep_daily, dry_run } => {
                    let policy = ops::backup::PrunePolicy { keep_last, keep_daily };
                    println!("{}", ops::backup::prune(&config, policy, dry_run)?);
                    if let Some(remote) = ops::offsite::remote(&config) {
                        println!("{}", ops::offsite::prune_remote(&remote, policy, dry_run)?);
                    }
                }
            }
        }
        Command::Logs { command } => {
            let config = config()?;
            match command {
                LogsCommand::Rotate => println!("{}", ops::logs::rotate(&config.log_dir)?),
                LogsCommand::Prune => println!("{}", ops::logs::prune(&config.log_dir, config.log_retention_days)?),
            }
        }
        Command::Admin { command } => {
            let config = config()?;
            let _guard = ops::logs::init(None, "warn");
            let (id, grant) = match command {
                RoleCommand::Grant { id } => (id, true),
                RoleCommand::Revoke { id } => (id, false),
            };
            println!("{}", ops::maintenance::admin_set(&config, id, grant)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
