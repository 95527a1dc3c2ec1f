//! The command line (SPEC §9). Names here are used by tools outside this repository: extend,
//! don't rename.

use std::path::PathBuf;

use clap::{
    builder::{PossibleValuesParser, TypedValueParser},
    Parser, Subcommand,
};

use crate::domain::audit::AuditAction;

#[derive(Parser, Debug)]
#[command(name = "quickcart", version, about = "QuickCart: toko Telegram untuk produk digital (QRIS Pakasir & saldo)")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the shop: Telegram bot, webhooks, background workers
    Serve,
    /// The whole shop in this terminal with local stand-ins for Telegram and Pakasir
    Demo {
        /// Read input lines from FILE, print the transcript, exit non-zero if a line fails
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
    },
    /// Check configuration, key, files, Telegram and Pakasir; every problem in one run, exit
    /// non-zero if the shop cannot run. Changes nothing unless --fix
    Doctor {
        /// Skip the Telegram and Pakasir checks
        #[arg(long)]
        offline: bool,
        /// Create missing DATA_DIR/LOG_DIR (right owner and mode) and chmod 600 the env file
        #[arg(long)]
        fix: bool,
        /// Read the configuration from this file; the real environment wins, as with .env.
        /// Default: /etc/quickcart/quickcart.env when there is no ./.env and no DATABASE_KEY or
        /// TELEGRAM_BOT_TOKEN in the environment
        #[arg(long, value_name = "FILE")]
        env_file: Option<PathBuf>,
        /// The user the shop runs as, who must own DATA_DIR and LOG_DIR (default: you; for
        /// root, the `quickcart` service user if it exists)
        #[arg(long, value_name = "NAME", env = "QUICKCART_USER")]
        user: Option<String>,
    },
    /// First-time configuration: bot token, admin, Pakasir, keys, domain and Caddy site, then the
    /// doctor. Asks step by step on stdin; every answer can be given as a flag (--yes: never ask)
    Setup(Box<SetupArgs>),
    /// Database maintenance
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Bootstrap admins without Telegram
    Admin {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Privacy requests: export or erase a user's personal data
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The tamper-evident audit log (audit.db)
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Sales report of the last N WIB days: revenue and orders per day, deposits, refunds, top
    /// products and buyers, the stock that runs out soonest
    Report {
        #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=366))]
        days: i64,
    },
    /// Print a new DATABASE_KEY and an age identity/recipient pair for backups
    Keygen {
        /// Write the secret age identity to this new file (0600) instead of printing it
        #[arg(long, value_name = "FILE")]
        identity_file: Option<PathBuf>,
        /// Append the age recipient (public key) to this file
        #[arg(long, value_name = "FILE")]
        recipients_file: Option<PathBuf>,
    },
    /// Encrypted backups of shop.db and audit.db
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Log files in LOG_DIR
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
}

/// `quickcart setup`. Secrets given as flags are visible to other users in `ps`: prefer the
/// questions, or run it where nobody else is logged in.
#[derive(clap::Args, Debug)]
pub struct SetupArgs {
    /// Bot token from @BotFather (checked with getMe)
    #[arg(long, value_name = "TOKEN")]
    pub bot_token: Option<String>,
    /// The owner's Telegram id (else learned from a /start sent to the bot)
    #[arg(long, value_name = "ID", value_parser = clap::value_parser!(i64).range(1..))]
    pub admin_id: Option<i64>,
    /// Pakasir project slug
    #[arg(long, value_name = "SLUG")]
    pub pakasir_project: Option<String>,
    /// Pakasir API key (checked with an authenticated call)
    #[arg(long, value_name = "KEY")]
    pub pakasir_api_key: Option<String>,
    /// Pakasir webhook secret (X-Secret); generated when not given
    #[arg(long, value_name = "SECRET")]
    pub pakasir_webhook_secret: Option<String>,
    /// The shop's domain: Caddy site and webhook URLs (https://DOMAIN/webhook/…)
    #[arg(long, value_name = "DOMAIN", conflicts_with = "no_domain")]
    pub domain: Option<String>,
    /// No domain: long polling, no Caddy site, payments confirmed by polling Pakasir
    #[arg(long)]
    pub no_domain: bool,
    #[arg(long, value_name = "FILE", default_value = "/etc/quickcart/quickcart.env")]
    pub env_file: PathBuf,
    /// Where the Caddy site goes. Default: /etc/caddy/Caddyfile (for /etc/quickcart/NAME.env,
    /// /etc/quickcart/NAME.Caddyfile, to be added to the first shop's Caddyfile by hand)
    #[arg(long, value_name = "FILE")]
    pub caddyfile: Option<PathBuf>,
    /// age recipients (public keys) for backups: kept if it has some, else created
    #[arg(long, value_name = "FILE", default_value = "/etc/quickcart/backup-recipients.txt")]
    pub recipients_file: PathBuf,
    /// Where the new secret age identity goes (0600); move it off the VM
    #[arg(long, value_name = "FILE", default_value = "/root/quickcart-backup-identity.txt")]
    pub identity_file: PathBuf,
    /// Default: the unit's, /var/lib/quickcart/data (for /etc/quickcart/NAME.env, the shop
    /// NAME of quickcart@NAME.service: /var/lib/quickcart/NAME/data)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Default: /var/log/quickcart (shop NAME: /var/log/quickcart/NAME)
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Default: /var/lib/quickcart/backups (shop NAME: /var/lib/quickcart/NAME/backups)
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Never ask: every missing answer is an error naming its flag
    #[arg(long)]
    pub yes: bool,
    /// Replace an already configured env file without asking (its DATABASE_KEY is always kept)
    #[arg(long)]
    pub force: bool,
    /// The user the shop runs as (owner of DATA_DIR and LOG_DIR)
    #[arg(long, value_name = "NAME", env = "QUICKCART_USER")]
    pub user: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BackupCommand {
    /// Snapshot both databases (safe while serve runs), encrypt to BACKUP_RECIPIENTS_FILE, write
    /// BACKUP_DIR/quickcart-YYYYMMDDTHHMMSSZ.tar.age, then upload it (and any backup still
    /// missing there) to BACKUP_REMOTE when set
    Create,
    /// Decrypt into a temporary directory and check hashes, integrity and the audit chain
    Verify {
        /// A backup file, or with --remote the name of a backup on BACKUP_REMOTE
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// age identity file (AGE-SECRET-KEY-1…)
        #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
        identity: PathBuf,
        /// FILE is a name on BACKUP_REMOTE (see `backup list`): download it first
        #[arg(long)]
        remote: bool,
    },
    /// Verify, move the current files to DATA_DIR/pre-restore-<time>/, restore (serve must be stopped)
    Restore {
        /// A backup file, or with --remote the name of a backup on BACKUP_REMOTE
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// age identity file (AGE-SECRET-KEY-1…)
        #[arg(short = 'i', long = "identity", value_name = "IDENTITY")]
        identity: PathBuf,
        /// FILE is a name on BACKUP_REMOTE (see `backup list`): download it into BACKUP_DIR,
        /// check it against the remote's size and hash, then restore it
        #[arg(long)]
        remote: bool,
    },
    /// Backups in BACKUP_DIR and on BACKUP_REMOTE side by side (time in WIB, size, where)
    List,
    /// Delete old backups (in BACKUP_DIR and on BACKUP_REMOTE): keep the newest N and the newest
    /// of each of the last D days
    Prune {
        #[arg(long, value_name = "N", default_value_t = 96)]
        keep_last: usize,
        #[arg(long, value_name = "D", default_value_t = 30)]
        keep_daily: usize,
        /// Only print what would be deleted
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LogsCommand {
    /// Move today's log file aside (quickcart.DATE.N.log); a running serve starts a new one
    Rotate,
    /// Delete log files older than LOG_RETENTION_DAYS (never today's)
    Prune,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the hash chain; exit non-zero and name the first broken row if any
    Verify,
    /// Print recent entries
    Tail {
        /// Only entries by this actor id
        #[arg(long, value_name = "ID")]
        actor: Option<i64>,
        /// Only entries with this action (e.g. rbac_deny, admin_command_executed)
        #[arg(long, value_name = "A", value_parser = audit_action(), hide_possible_values = true)]
        action: Option<AuditAction>,
        /// How many entries
        #[arg(short = 'n', long, default_value_t = 20)]
        n: i64,
    },
}

/// Only the names the shop writes: a mistyped action is refused with the list (and clap's
/// "a similar value exists" tip) instead of matching nothing.
fn audit_action() -> impl TypedValueParser<Value = AuditAction> {
    PossibleValuesParser::new(AuditAction::ALL.iter().map(|a| a.as_str())).try_map(|s| s.parse::<AuditAction>())
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Create or upgrade the schema of shop.db and audit.db
    Migrate,
    /// integrity_check, cipher_integrity_check and foreign_key_check on both files, plus the
    /// money invariants (balance = ledger, stock matches order states)
    Check,
    /// Counts of orders, stock, ledger and outbox, as JSON
    Stats,
    /// Re-encrypt both files with a new key (serve must be stopped); the new key comes from
    /// --new-key-file or QUICKCART_NEW_DATABASE_KEY
    Rekey {
        /// File holding the new 64-hex key (e.g. from `quickcart keygen`)
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
        /// The new key itself, from the environment only (never on the command line)
        #[arg(skip = std::env::var(crate::ops::keys::NEW_KEY_VAR).ok())]
        new_key: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum RoleCommand {
    /// Make a Telegram user id an admin
    Grant {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Take the admin role away (ADMIN_IDS admins stay admins)
    Revoke {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Print everything stored about a user as JSON
    Export {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// Anonymise a user's personal data (financial records are kept)
    Erase {
        #[arg(value_name = "ID")]
        id: i64,
    },
}
