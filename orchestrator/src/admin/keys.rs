//! Key rotation of the orchestrator's sealed columns, in batches:
//! `sagas.state` (sealed fields inside the JSON), `passengers` (one sealed
//! value per column), and the sealed blobs of `outbox.body` and
//! `dead_letters.body`. Each value is re-sealed for its own place (table,
//! field, row), which also places the values sealed before values had
//! places.
//!
//! Every batch is read in key order after the last key seen, and written
//! back in one short transaction whose updates are guarded by what was
//! read (the saga's `version`, the old value itself): a row that changed
//! meanwhile is left alone and counted, for the next pass.

use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
// Table and column names come from the constants here, never from input.
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row};
use uuid::Uuid;

use autobook_contracts::personal::erased;
use autobook_vault::place::tables;
use autobook_vault::rotation::{Census, Pass};
use autobook_vault::{
    Keyring, Place, blob_kid, blob_prefix, is_sealed, is_unplaced, is_unplaced_blob,
    json_holds_plaintext_pii, json_holds_unplaced, json_kids, sealed_kid,
};

/// A table of the orchestrator holding sealed personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    Sagas,
    Passengers,
    Outbox,
    DeadLetters,
}

impl SealedTable {
    /// Every one, in the order a rotation visits them.
    pub const ALL: [SealedTable; 4] = [
        SealedTable::Sagas,
        SealedTable::Passengers,
        SealedTable::Outbox,
        SealedTable::DeadLetters,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SealedTable::Sagas => tables::SAGAS,
            SealedTable::Passengers => tables::PASSENGERS,
            SealedTable::Outbox => tables::OUTBOX,
            SealedTable::DeadLetters => tables::DEAD_LETTERS,
        }
    }

    /// Counts the rows under each key id (no key needed: key ids are read
    /// from the sealed values' tags).
    pub async fn census(self, pool: &PgPool, batch: i64) -> Result<Census, sqlx::Error> {
        match self {
            SealedTable::Sagas => census_sagas(pool, batch).await,
            SealedTable::Passengers => census_passengers(pool, batch).await,
            SealedTable::Outbox => OUTBOX_BODIES.census(pool, batch).await,
            SealedTable::DeadLetters => DEAD_LETTER_BODIES.census(pool, batch).await,
        }
    }

    /// One pass re-sealing every value not under the active key with its
    /// place.
    pub async fn reseal(
        self,
        pool: &PgPool,
        vault: &Keyring,
        batch: i64,
    ) -> Result<Pass, sqlx::Error> {
        match self {
            SealedTable::Sagas => reseal_sagas(pool, vault, batch).await,
            SealedTable::Passengers => reseal_passengers(pool, vault, batch).await,
            SealedTable::Outbox => OUTBOX_BODIES.reseal(pool, vault, batch).await,
            SealedTable::DeadLetters => DEAD_LETTER_BODIES.reseal(pool, vault, batch).await,
        }
    }
}

/// A table whose one column holds sealed bytes.
#[derive(Debug, Clone, Copy)]
struct BlobTable {
    table: &'static str,
    key: KeyKind,
    key_column: &'static str,
    /// The column whose text is the row of a blob's place.
    place_column: &'static str,
    column: &'static str,
}

const OUTBOX_BODIES: BlobTable = BlobTable {
    table: tables::OUTBOX,
    key: KeyKind::Int,
    key_column: "id",
    place_column: "message_id",
    column: "body",
};

const DEAD_LETTER_BODIES: BlobTable = BlobTable {
    table: tables::DEAD_LETTERS,
    key: KeyKind::Uuid,
    key_column: "id",
    place_column: "id",
    column: "body",
};

#[derive(Debug, Clone, Copy)]
enum KeyKind {
    Int,
    Uuid,
}

/// A row's key, whatever its type, for paging and guarded updates.
#[derive(Debug, Clone)]
enum Key {
    Int(i64),
    Uuid(Uuid),
}

impl Key {
    fn before_all(kind: KeyKind) -> Key {
        match kind {
            KeyKind::Int => Key::Int(i64::MIN),
            KeyKind::Uuid => Key::Uuid(Uuid::nil()),
        }
    }

    fn read(kind: KeyKind, row: &PgRow) -> Key {
        match kind {
            KeyKind::Int => Key::Int(row.get("key")),
            KeyKind::Uuid => Key::Uuid(row.get("key")),
        }
    }

    fn bind<'q>(
        &self,
        query: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        match self {
            Key::Int(key) => query.bind(*key),
            Key::Uuid(key) => query.bind(*key),
        }
    }
}

/// Bytes of a blob's head read for a census: the magic and the longest key id.
const HEAD_BYTES: i32 = 48;

impl BlobTable {
    /// Key ids of the blobs (from their heads only).
    async fn census(&self, pool: &PgPool, batch: i64) -> Result<Census, sqlx::Error> {
        let sql = format!(
            "SELECT {key} AS key, substring({col} from 1 for {HEAD_BYTES}) AS head FROM {table} \
             WHERE {key} > $1 AND {col} IS NOT NULL ORDER BY {key} LIMIT $2",
            key = self.key_column,
            col = self.column,
            table = self.table,
        );
        let mut census = Census::default();
        let mut after = Key::before_all(self.key);
        loop {
            let rows = after
                .bind(sqlx::query(AssertSqlSafe(sql.clone())))
                .bind(batch)
                .fetch_all(pool)
                .await?;
            for row in &rows {
                let head: Vec<u8> = row.get("head");
                let kid = blob_kid(&head).map(str::to_owned);
                let plaintext = kid.is_none();
                census.count(kid, plaintext, is_unplaced_blob(&head));
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == batch => after = Key::read(self.key, last),
                _ => return Ok(census),
            }
        }
    }

    /// Re-seals every blob not sealed with its place under the active key.
    async fn reseal(
        &self,
        pool: &PgPool,
        vault: &Keyring,
        batch: i64,
    ) -> Result<Pass, sqlx::Error> {
        let select = format!(
            "SELECT {key} AS key, {place}::text AS place, {col} AS blob FROM {table} \
             WHERE {key} > $1 AND {col} IS NOT NULL \
             AND substring({col} from 1 for $3) IS DISTINCT FROM $4 \
             ORDER BY {key} LIMIT $2",
            key = self.key_column,
            place = self.place_column,
            col = self.column,
            table = self.table,
        );
        let update = format!(
            "UPDATE {table} SET {col} = $1 WHERE {key} = $2 AND {col} = $3",
            key = self.key_column,
            col = self.column,
            table = self.table,
        );
        let prefix = blob_prefix(vault.active_kid());
        let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
        let mut pass = Pass::default();
        let mut after = Key::before_all(self.key);
        loop {
            let rows = after
                .bind(sqlx::query(AssertSqlSafe(select.clone())))
                .bind(batch)
                .bind(prefix_len)
                .bind(&prefix)
                .fetch_all(pool)
                .await?;
            let mut tx = pool.begin().await?;
            for row in &rows {
                pass.visited += 1;
                let old: Vec<u8> = row.get("blob");
                let place = Place::new(self.table, row.get::<&str, _>("place"));
                let new = match vault.reseal_bytes(&old, &place, self.column) {
                    Ok(Some(new)) => new,
                    Ok(None) => continue,
                    Err(_) => {
                        pass.unreadable += 1;
                        continue;
                    }
                };
                let key = Key::read(self.key, row);
                let query = sqlx::query(AssertSqlSafe(update.clone())).bind(new);
                let updated = key.bind(query).bind(old).execute(&mut *tx).await?;
                pass.record(updated.rows_affected() == 1);
            }
            tx.commit().await?;
            match rows.last() {
                Some(last) if rows.len() as i64 == batch => after = Key::read(self.key, last),
                _ => return Ok(pass),
            }
        }
    }
}

/// Key ids in `sagas.state`.
async fn census_sagas(pool: &PgPool, batch: i64) -> Result<Census, sqlx::Error> {
    let mut census = Census::default();
    let mut after = Uuid::nil();
    loop {
        let rows = sqlx::query("SELECT id, state FROM sagas WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(batch)
            .fetch_all(pool)
            .await?;
        for row in &rows {
            let state: Value = row.get("state");
            census.count(
                json_kids(&state),
                json_holds_plaintext_pii(&state),
                json_holds_unplaced(&state),
            );
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => after = last.get("id"),
            _ => return Ok(census),
        }
    }
}

/// Re-seals the personal fields of every saga state not wholly under the
/// active key; an update applies only if the saga's version is the one
/// read (the version itself is left alone: it numbers the saga's steps).
async fn reseal_sagas(pool: &PgPool, vault: &Keyring, batch: i64) -> Result<Pass, sqlx::Error> {
    let mut pass = Pass::default();
    let mut after = Uuid::nil();
    loop {
        let rows =
            sqlx::query("SELECT id, version, state FROM sagas WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(batch)
                .fetch_all(pool)
                .await?;
        let mut tx = pool.begin().await?;
        for row in &rows {
            pass.visited += 1;
            let place = Place::saga(row.get::<Uuid, _>("id"));
            let new = match vault.reseal_json(row.get("state"), &place) {
                Ok(Some(new)) => new,
                Ok(None) => continue,
                Err(_) => {
                    pass.unreadable += 1;
                    continue;
                }
            };
            let updated = sqlx::query("UPDATE sagas SET state = $1 WHERE id = $2 AND version = $3")
                .bind(new)
                .bind(row.get::<Uuid, _>("id"))
                .bind(row.get::<i64, _>("version"))
                .execute(&mut *tx)
                .await?;
            pass.record(updated.rows_affected() == 1);
        }
        tx.commit().await?;
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => after = last.get("id"),
            _ => return Ok(pass),
        }
    }
}

/// The sealed columns of `passengers`.
const PASSENGER_COLUMNS: [&str; 5] = [
    "given_name",
    "family_name",
    "born_on",
    "email",
    "phone_number",
];

fn passenger_values(row: &PgRow) -> Vec<String> {
    PASSENGER_COLUMNS.iter().map(|c| row.get(*c)).collect()
}

fn passenger_select() -> String {
    format!(
        "SELECT saga_id, position, {} FROM passengers \
         WHERE (saga_id, position) > ($1, $2) ORDER BY saga_id, position LIMIT $3",
        PASSENGER_COLUMNS.join(", ")
    )
}

/// Key ids in `passengers`.
async fn census_passengers(pool: &PgPool, batch: i64) -> Result<Census, sqlx::Error> {
    let select = passenger_select();
    let mut census = Census::default();
    let mut after = (Uuid::nil(), i16::MIN);
    loop {
        let rows = sqlx::query(AssertSqlSafe(select.clone()))
            .bind(after.0)
            .bind(after.1)
            .bind(batch)
            .fetch_all(pool)
            .await?;
        for row in &rows {
            let values = passenger_values(row);
            let kids: std::collections::BTreeSet<String> = values
                .iter()
                .filter_map(|v| sealed_kid(v).map(str::to_owned))
                .collect();
            let plaintext = values
                .iter()
                .any(|v| !is_sealed(v) && !erased::is_placeholder(v));
            census.count(kids, plaintext, values.iter().any(|v| is_unplaced(v)));
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => {
                after = (last.get("saga_id"), last.get("position"));
            }
            _ => return Ok(census),
        }
    }
}

/// Re-seals every passenger value not under the active key (erasure
/// placeholders stay as they are); an update applies only if all five
/// values are still the ones read.
async fn reseal_passengers(
    pool: &PgPool,
    vault: &Keyring,
    batch: i64,
) -> Result<Pass, sqlx::Error> {
    let select = passenger_select();
    let update = "UPDATE passengers SET given_name = $3, family_name = $4, born_on = $5, \
                  email = $6, phone_number = $7 WHERE saga_id = $1 AND position = $2 \
                  AND given_name = $8 AND family_name = $9 AND born_on = $10 \
                  AND email = $11 AND phone_number = $12";
    let mut pass = Pass::default();
    let mut after = (Uuid::nil(), i16::MIN);
    loop {
        let rows = sqlx::query(AssertSqlSafe(select.clone()))
            .bind(after.0)
            .bind(after.1)
            .bind(batch)
            .fetch_all(pool)
            .await?;
        let mut tx = pool.begin().await?;
        for row in &rows {
            pass.visited += 1;
            let old = passenger_values(row);
            let place = Place::passenger(row.get::<Uuid, _>("saga_id"), row.get("position"));
            let resealed: Result<Vec<Option<String>>, _> = old
                .iter()
                .zip(PASSENGER_COLUMNS)
                .map(|(v, column)| vault.reseal_str(v, &place, column))
                .collect();
            let Ok(resealed) = resealed else {
                pass.unreadable += 1;
                continue;
            };
            if resealed.iter().all(Option::is_none) {
                continue;
            }
            let new: Vec<&String> = resealed
                .iter()
                .zip(&old)
                .map(|(new, old)| new.as_ref().unwrap_or(old))
                .collect();
            let mut query = sqlx::query(update)
                .bind(row.get::<Uuid, _>("saga_id"))
                .bind(row.get::<i16, _>("position"));
            for value in new.into_iter().chain(&old) {
                query = query.bind(value.clone());
            }
            let updated = query.execute(&mut *tx).await?;
            pass.record(updated.rows_affected() == 1);
        }
        tx.commit().await?;
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => {
                after = (last.get("saga_id"), last.get("position"));
            }
            _ => return Ok(pass),
        }
    }
}
