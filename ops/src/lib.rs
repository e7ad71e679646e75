//! # autobook-ops
//!
//! The operators' commands (`autobook ops`): tools for people to inspect
//! and repair sagas and dead letters, and to set the feature flags and the
//! kill switch, over the typed functions of each table's owner.
//!
//! - [`saga`]: `show`, `list`, `retry`, `abort`;
//! - [`dlq`]: the dead-letter archive: `list`, `show`, `replay`, `purge`;
//! - [`flags`]: the kill switch and the booking pipeline: `get`, `set`;
//! - [`keys`]: the keys personal data is sealed under: `status`, `rotate`;
//! - [`privacy`]: erasures under way and done, a retention sweep now;
//! - [`reconcile`]: the reconciliation job's open findings and releases;
//! - [`output`]: text tables and `--json`.
//!
//! Every action is a library function taking a pool (and, for replays, a
//! publisher), so tests call them in-process; [`run`] only parses, connects
//! and prints. A requested action that is refused makes the command exit
//! non-zero. Commands that read travellers' data (`saga show`, `retry`,
//! `abort`, `cancel`, `dlq show`, `replay`, `keys rotate`) need
//! `AUTOBOOK_DATA_KEYS`.

pub mod dlq;
pub mod flags;
pub mod keys;
pub mod output;
pub mod privacy;
pub mod reconcile;
pub mod saga;

use anyhow::Context;
use clap::{Args, Subcommand};
use sqlx::PgPool;
use uuid::Uuid;

use autobook_broker::{Broker, Publisher};
use autobook_contracts::QueueRole;
use autobook_contracts::senders::Identity;
use autobook_vault::Keyring;

use autobook_roles::settings::ServiceSettings;
use output::emit;
use saga::OperatorAction;

/// `autobook ops ...`
#[derive(Debug, Args)]
pub struct OpsArgs {
    #[command(subcommand)]
    pub command: OpsCommand,
    #[command(flatten)]
    pub services: ServiceSettings,
    /// Print one JSON document (for scripts) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Sagas: show one, list by status, retry or abort a stuck one.
    #[command(subcommand)]
    Saga(SagaCommand),
    /// The dead-letter archive: list, show, replay, purge.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// The kill switch and the booking pipeline: show or change them.
    #[command(subcommand)]
    Flags(flags::FlagsCommand),
    /// The keys personal data is sealed under: status, rotate.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Travellers' data: erasures, and a retention sweep run now.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// The reconciliation job: open findings, holds it released, its last run.
    Reconcile(reconcile::ReconcileArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rows per key id, and rows still holding plaintext, in every table
    /// that holds personal data.
    Status {
        /// Rows read per query.
        #[arg(long, default_value_t = 500)]
        batch: i64,
    },
    /// Re-seal under the active key (the first of AUTOBOOK_DATA_KEYS)
    /// every value sealed under another key, and seal leftover plaintext.
    /// Safe while the system runs; running it again changes nothing.
    Rotate {
        /// Rows per batch (one short transaction each).
        #[arg(long, default_value_t = 200)]
        batch: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SagaCommand {
    /// A saga's status, phase, history and pending effects.
    Show {
        /// The saga id.
        id: Uuid,
    },
    /// Sagas in one status, most recently updated first.
    List {
        /// searching, watching, paused, authorizing, ordering, capturing,
        /// releasing_hold, cancelling_order, cancelling_booking, refunding,
        /// notifying, outcome_unknown, booked, failed, cancelled, stuck or
        /// aborted.
        #[arg(long, value_parser = status_arg)]
        state: String,
        /// Most sagas listed.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Send a stuck saga back to the step it was stuck on (same key).
    Retry(OperatorArgs),
    /// End a stuck saga by hand, once its money and tickets are settled.
    Abort(OperatorArgs),
    /// Cancel a trip on the traveller's behalf: stops it, or undoes what is
    /// held, or cancels the booking and refunds what the fare allows.
    Cancel(OperatorArgs),
}

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The saga id.
    pub id: Uuid,
    /// Why: kept in the saga's history.
    #[arg(long)]
    pub reason: String,
    /// Who (default: $USER, else "operator").
    #[arg(long)]
    pub operator: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Archived dead letters, oldest first (default: not yet replayed).
    List {
        /// Only this queue: orchestrator, search, payment, order or notify.
        #[arg(long, value_parser = role_arg)]
        queue: Option<QueueRole>,
        /// Only this error code (x-autobook-error-code).
        #[arg(long)]
        code: Option<String>,
        /// Include those already replayed.
        #[arg(long)]
        all: bool,
        /// Most dead letters listed.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One dead letter: headers, reason and body.
    Show {
        /// The dead letter id.
        id: Uuid,
    },
    /// Put dead letters back on their queue, if they can succeed now.
    Replay {
        #[command(flatten)]
        select: SelectArgs,
        /// Only report what would be replayed.
        #[arg(long)]
        dry_run: bool,
        /// Who (default: $USER, else "operator"); kept in the replay note.
        #[arg(long)]
        operator: Option<String>,
    },
    /// Delete dead letters from the archive.
    Purge {
        #[command(flatten)]
        select: SelectArgs,
        /// Only those already replayed.
        #[arg(long)]
        replayed: bool,
    },
}

/// Which dead letters: one id, or filters, or all.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// One dead letter, by id.
    pub id: Option<Uuid>,
    /// Those of this queue: orchestrator, search, payment, order or notify.
    #[arg(long, value_parser = role_arg)]
    pub queue: Option<QueueRole>,
    /// Those with this error code.
    #[arg(long)]
    pub code: Option<String>,
    /// Every one (replay: every one not yet replayed).
    #[arg(long)]
    pub all: bool,
}

impl SelectArgs {
    fn selection(&self) -> anyhow::Result<dlq::Selection> {
        dlq::Selection::new(self.id, self.queue, self.code.clone(), self.all)
            .map_err(anyhow::Error::msg)
    }
}

fn status_arg(text: &str) -> Result<String, String> {
    saga::parse_status(text).map(str::to_owned)
}

fn role_arg(text: &str) -> Result<QueueRole, String> {
    dlq::parse_role(text)
}

/// Runs one `ops` command.
pub async fn run(args: OpsArgs) -> anyhow::Result<()> {
    let pool = connect_database(&args.services).await?;
    let result = dispatch(&pool, &args).await;
    pool.close().await;
    result
}

async fn dispatch(pool: &PgPool, args: &OpsArgs) -> anyhow::Result<()> {
    let json = args.json;
    let vault = || args.services.vault();
    match &args.command {
        OpsCommand::Saga(SagaCommand::Show { id }) => match saga::show(pool, &vault()?, *id).await?
        {
            Some(report) => emit(&report, json),
            None => anyhow::bail!("there is no saga {id}"),
        },
        OpsCommand::Saga(SagaCommand::List { state, limit }) => {
            emit(&saga::list(pool, state, *limit).await?, json)
        }
        OpsCommand::Saga(SagaCommand::Retry(request)) => {
            operator_request(pool, &vault()?, request, OperatorAction::Retry, json).await
        }
        OpsCommand::Saga(SagaCommand::Abort(request)) => {
            operator_request(pool, &vault()?, request, OperatorAction::Abort, json).await
        }
        OpsCommand::Saga(SagaCommand::Cancel(request)) => {
            operator_request(pool, &vault()?, request, OperatorAction::Cancel, json).await
        }
        OpsCommand::Dlq(DlqCommand::List {
            queue,
            code,
            all,
            limit,
        }) => {
            let filter = dlq::Filter {
                role: *queue,
                code: code.clone(),
                include_replayed: *all,
                limit: *limit,
            };
            emit(&dlq::list(pool, &filter).await?, json)
        }
        OpsCommand::Dlq(DlqCommand::Show { id }) => match dlq::show(pool, &vault()?, *id).await? {
            Some(detail) => emit(&detail, json),
            None => anyhow::bail!("there is no dead letter {id}"),
        },
        OpsCommand::Dlq(DlqCommand::Replay {
            select,
            dry_run,
            operator,
        }) => {
            let selection = select.selection()?;
            let vault = vault()?;
            let operator =
                saga::operator_from_env(operator.as_deref()).map_err(anyhow::Error::msg)?;
            let broker = if *dry_run {
                None
            } else {
                Some(connect_broker(&args.services).await?)
            };
            let publisher = match &broker {
                Some(broker) => Some(Publisher::open(broker).await?),
                None => None,
            };
            let summary = dlq::replay(
                pool,
                &vault,
                publisher.as_ref(),
                &selection,
                *dry_run,
                &operator,
            )
            .await;
            if let Some(broker) = broker {
                broker.close().await;
            }
            let summary = summary?;
            emit(&summary, json)?;
            let not_replayed = summary.not_replayed();
            anyhow::ensure!(
                not_replayed == 0,
                "{not_replayed} of {} dead letter(s) not replayed",
                summary.reports.len()
            );
            Ok(())
        }
        OpsCommand::Privacy(command) => privacy::dispatch(pool, command, json).await,
        OpsCommand::Reconcile(request) => emit(&reconcile::report(pool, request).await?, json),
        OpsCommand::Flags(command) => {
            flags::dispatch(pool, command, &args.services.flags, json).await
        }
        OpsCommand::Dlq(DlqCommand::Purge { select, replayed }) => {
            let selection = select.selection()?;
            emit(&dlq::purge(pool, &selection, *replayed).await?, json)
        }
        OpsCommand::Keys(KeysCommand::Status { batch }) => {
            emit(&keys::status(pool, *batch).await?, json)
        }
        OpsCommand::Keys(KeysCommand::Rotate { batch }) => {
            let summary = keys::rotate(pool, &vault()?, *batch).await?;
            emit(&summary, json)?;
            let left = summary.left();
            anyhow::ensure!(
                left == 0,
                "{left} row(s) not re-sealed under the active key"
            );
            Ok(())
        }
    }
}

async fn operator_request(
    pool: &PgPool,
    vault: &Keyring,
    request: &OperatorArgs,
    action: OperatorAction,
    json: bool,
) -> anyhow::Result<()> {
    let operator =
        saga::operator_from_env(request.operator.as_deref()).map_err(anyhow::Error::msg)?;
    let outcome =
        saga::request(pool, vault, request.id, action, &operator, &request.reason).await?;
    emit(&outcome, json)?;
    anyhow::ensure!(!outcome.refused(), "the saga did not accept the request");
    Ok(())
}

/// The database, migrated (the ops tool reads tables the migrations add).
pub async fn connect_database(settings: &ServiceSettings) -> anyhow::Result<PgPool> {
    let pool = autobook_orchestrator::db::connect(
        &settings.connections.database_url,
        settings.db_pool.clamp(1, 4),
    )
    .await
    .context("connecting to PostgreSQL (DATABASE_URL)")?;
    autobook_orchestrator::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    Ok(pool)
}

/// The broker, as the ops identity (which may replay dead letters).
async fn connect_broker(settings: &ServiceSettings) -> anyhow::Result<Broker> {
    settings
        .connections
        .broker_access()?
        .connect(Identity::Ops, "autobook-ops", settings.topology()?)
        .await
        .context("connecting to RabbitMQ (AMQP_URL) as autobook-ops (AUTOBOOK_BROKER_PASSWORD_OPS)")
}
