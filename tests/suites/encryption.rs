//! Personal data at rest: after bookings (one booked, one declined, one
//! dead-lettered), no table of the database holds a traveller's name,
//! birth date, email address, phone number or passport in plaintext; and a key
//! rotation re-seals every table under the new key, after which the old
//! key can be dropped, even while sagas are running.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_ops::keys;
use autobook_orchestrator::saga::Policy;
use autobook_orchestrator::store::{Handled, SagaStore, StoreError, load_saga};
use autobook_orchestrator::testing::{self, passengers::StoredPassenger};
use autobook_tests::trips::{trip_json, trip_with};
use autobook_tests::{TestSystem, spawn_with};
use autobook_vault::{Keyring, Place, VaultError, sealed_kid};

/// A traveller no other test uses: each value is searched for in the dump.
const GIVEN: &str = "Zephyrine";
const FAMILY: &str = "Quillfeather";
const BORN_ON: &str = "1983-02-17";
const EMAIL: &str = "zephyrine.q@vault-test.example";
const PHONE: &str = "+61491570156";
const CONTACT: &str = "quill.contact@vault-test.example";
const PASSPORT: &str = "QZ48120977";
const PASSPORT_EXPIRES: &str = "2039-11-23";
const PERSONAL: [&str; 8] = [
    GIVEN,
    FAMILY,
    BORN_ON,
    EMAIL,
    PHONE,
    CONTACT,
    PASSPORT,
    PASSPORT_EXPIRES,
];

fn traveller(trip: &mut Value) {
    trip["passengers"] = json!([{
        "title": "ms", "gender": "f", "given_name": GIVEN, "family_name": FAMILY,
        "born_on": BORN_ON, "email": EMAIL, "phone_number": PHONE,
        "identity_document": {"type": "passport", "unique_identifier": PASSPORT,
                              "issuing_country_code": "AU", "expires_on": PASSPORT_EXPIRES}
    }]);
    trip["contact_email"] = json!(CONTACT);
}

/// A booked trip, a declined card and a trip request the orchestrator
/// rejects (departure in the past), archived as a dead letter. Returns the
/// three saga ids once all are settled.
async fn book_three(system: &TestSystem) -> [Uuid; 3] {
    let booked = system.submit(trip_with(traveller)).await;
    let declined = system
        .submit(trip_with(|t| {
            traveller(t);
            t["payment"]["payment_method"] = "pm_card_chargeDeclined".into();
        }))
        .await;
    assert_eq!(system.finished(booked).await.status, "booked");
    assert_eq!(system.finished(declined).await.status, "failed");
    let rejected = dead_lettered(system).await;
    [booked, declined, rejected]
}

/// Submits a trip the orchestrator rejects and waits (at most 30 s) until
/// its dead letter is archived; returns its saga id.
async fn dead_lettered(system: &TestSystem) -> Uuid {
    let pool = &system.stack().pool;
    testing::announce::archived_dead_letters(pool)
        .await
        .unwrap();
    let mut listener = PgListener::connect_with(pool).await.unwrap();
    listener
        .listen(testing::announce::DEAD_LETTER_CHANNEL)
        .await
        .unwrap();
    let mut past = trip_json();
    traveller(&mut past);
    past["departure_date"] = json!("2020-01-01");
    let id = system.submit(serde_json::from_value(past).unwrap()).await;
    let wanted = id.to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let notification = tokio::time::timeout_at(deadline, listener.recv())
            .await
            .expect("the rejected trip is archived as a dead letter within 30 s")
            .unwrap();
        if notification.payload() == wanted {
            return id;
        }
    }
}

/// Every row of every table of the schema, as text; bytea in the escape
/// format, where printable bytes stand as themselves.
async fn dump(pool: &PgPool) -> Vec<(String, String)> {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET bytea_output = 'escape'")
        .execute(&mut *conn)
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(tables.len() > 10, "{tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let sql = format!("SELECT t::text FROM \"{table}\" t");
        let texts: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        rows.extend(texts.into_iter().map(|text| (table.clone(), text)));
    }
    rows
}

#[tokio::test]
async fn no_table_holds_a_travellers_personal_data_in_plaintext() {
    let system = spawn_with(|config| config.orchestrator.archive_dead_letters = true).await;
    let [booked, declined, rejected] = book_three(&system).await;

    let rows = dump(&system.stack().pool).await;
    let leaks: Vec<String> = rows
        .iter()
        .flat_map(|(table, text)| {
            let lower = text.to_lowercase();
            PERSONAL
                .iter()
                .filter(move |pii| lower.contains(&pii.to_lowercase()))
                .map(move |pii| format!("{pii} in {table}"))
        })
        .collect();
    assert!(leaks.is_empty(), "plaintext personal data: {leaks:?}");

    // The dump did see the stored data: sealed values, tagged with the key.
    let tagged = format!("pii:v2:{}:", system.stack().vault.active_kid());
    for table in ["sagas", "outbox", "dead_letters", "provider_calls"] {
        assert!(
            rows.iter()
                .any(|(t, text)| t == table && text.contains(&tagged)),
            "no sealed value found in {table}"
        );
    }
    for id in [booked, declined, rejected] {
        let id = id.to_string();
        assert!(rows.iter().any(|(_, text)| text.contains(&id)), "{id}");
    }

    // And it all opens: the sagas hold the traveller as submitted.
    for id in [booked, declined] {
        let passenger = &system.saga(id).await.unwrap().saga.trip.passengers[0];
        assert_eq!(passenger.given_name.expose(), GIVEN);
        assert_eq!(passenger.phone_number.expose(), PHONE);
        assert_eq!(passenger.born_on.to_string(), BORN_ON);
    }
    system.teardown().await;
}

/// The tables that hold personal data.
const TABLES: [&str; 5] = [
    "sagas",
    "passengers",
    "outbox",
    "dead_letters",
    "provider_calls",
];

/// A passenger row as the orchestrator's read model writes it (sealed
/// values), at `position` (far past the read model's own positions);
/// `seal: None` writes plaintext, as a row from before encryption would be.
async fn passenger_row(pool: &PgPool, saga_id: Uuid, position: i16, seal: Option<&Keyring>) {
    let place = Place::passenger(saga_id, position);
    let value = |text: &str, column: &'static str| {
        seal.map_or_else(|| text.to_owned(), |k| k.seal_str(text, &place, column))
    };
    let row = StoredPassenger {
        saga_id,
        position,
        user_id: "usr_test".into(),
        given_name: value(GIVEN, "given_name"),
        family_name: value(FAMILY, "family_name"),
        born_on: value(BORN_ON, "born_on"),
        email: value(EMAIL, "email"),
        phone_number: value(PHONE, "phone_number"),
        travel_ends_on: Utc::now().date_naive() + chrono::Days::new(60),
    };
    testing::passengers::plant(pool, &row).await.unwrap();
}

/// Every sealed blob of `table`.`column` (with the text of its row's key),
/// opened with `vault` at its place.
fn open_blobs(
    vault: &Keyring,
    table: &'static str,
    column: &'static str,
    blobs: Vec<(String, Vec<u8>)>,
) -> Vec<Vec<u8>> {
    assert!(!blobs.is_empty(), "{table} is empty");
    blobs
        .iter()
        .map(|(row, blob)| {
            vault
                .open_bytes(blob, &Place::new(table, row), column)
                .unwrap_or_else(|e| panic!("{table}: {e}"))
                .into_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_rotation_reseals_every_table_and_then_the_old_key_can_go() {
    let k1 = Keyring::generate("k1").unwrap();
    let k2 = Keyring::generate("k2").unwrap();
    let system = spawn_with(|config| {
        config.vault = k1.clone();
        config.orchestrator.archive_dead_letters = true;
    })
    .await;
    let pool = system.stack().pool.clone();
    let [booked, declined, _] = book_three(&system).await;
    let before = system.saga(booked).await.unwrap().saga;
    passenger_row(&pool, booked, 100, Some(&k1)).await;
    // Left from before encryption: a passenger row and an outbox body in
    // plaintext.
    passenger_row(&pool, declined, 101, None).await;
    let first = testing::outbox::first(&pool).await.unwrap();
    let plain = k1
        .open_bytes(&first.body, &Place::outbox(first.message_id), "body")
        .unwrap()
        .into_owned();
    testing::outbox::overwrite_body(&pool, first.message_id, &plain)
        .await
        .unwrap();

    let status = keys::status(&pool, 3).await.unwrap();
    for table in TABLES {
        assert!(status.sealed_under(table, "k1") > 0, "{table}: {status:?}");
    }
    assert_eq!(status.plaintext(), 2, "{status:?}");

    // Every role now holds [k2, k1]; the rotation runs in small batches.
    let rotating = k2.followed_by(&k1);
    let summary = keys::rotate(&pool, &rotating, 2).await.unwrap();
    assert_eq!(summary.left(), 0, "{summary:?}");
    for table in &summary.tables {
        assert!(table.total.resealed > 0, "{table:?}");
    }
    let status = keys::status(&pool, 3).await.unwrap();
    assert_eq!(status.total_under("k1"), 0, "{status:?}");
    assert_eq!(status.plaintext(), 0, "{status:?}");
    for table in TABLES {
        assert!(status.sealed_under(table, "k2") > 0, "{table}: {status:?}");
    }
    let again = keys::rotate(&pool, &rotating, 2).await.unwrap();
    assert!(
        again.tables.iter().all(|t| t.total.resealed == 0),
        "{again:?}"
    );

    // k1 retired: everything opens with k2 alone, and not with k1 alone.
    let row = load_saga(&pool, &k2, booked).await.unwrap().unwrap();
    assert_eq!(row.saga, before);
    assert!(matches!(
        load_saga(&pool, &k1, booked).await,
        Err(StoreError::Sealed {
            source: VaultError::UnknownKey { .. },
            ..
        })
    ));
    let bodies = testing::outbox::all(&pool).await.unwrap();
    let bodies = bodies
        .into_iter()
        .map(|m| (m.message_id.to_string(), m.body));
    for body in open_blobs(&k2, "outbox", "body", bodies.collect()) {
        Envelope::decode(&body).unwrap();
    }
    let letters = testing::dead_letters::all(&pool).await.unwrap();
    let letters = letters.into_iter().map(|l| (l.id.to_string(), l.body));
    for body in open_blobs(&k2, "dead_letters", "body", letters.collect()) {
        Envelope::decode(&body).unwrap();
    }
    let replies = autobook_workers::testing::replies(&pool).await.unwrap();
    for reply in open_blobs(&k2, "provider_calls", "reply", replies) {
        Envelope::decode(&reply).unwrap();
    }
    let passengers = testing::passengers::all(&pool).await.unwrap();
    assert!(passengers.len() >= 2);
    let columns = [
        "given_name",
        "family_name",
        "born_on",
        "email",
        "phone_number",
    ];
    for passenger in &passengers {
        let place = Place::passenger(passenger.saga_id, passenger.position);
        let values = [
            &passenger.given_name,
            &passenger.family_name,
            &passenger.born_on,
            &passenger.email,
            &passenger.phone_number,
        ];
        for ((sealed, plain), column) in values
            .iter()
            .zip([GIVEN, FAMILY, BORN_ON, EMAIL, PHONE])
            .zip(columns)
        {
            assert_eq!(sealed_kid(sealed), Some("k2"));
            assert_eq!(k2.open_str(sealed, &place, column).unwrap(), plain);
        }
    }
    system.teardown().await;
}

#[tokio::test]
async fn a_rotation_beside_running_sagas_loses_nothing_and_leaves_no_old_key() {
    const TRIPS: usize = 6;
    let k1 = Keyring::generate("k1").unwrap();
    let k2 = Keyring::generate("k2").unwrap();
    let rotating = k2.followed_by(&k1);
    // The roles already hold [k2, k1]; sagas begun under k1 (by a role
    // that held only k1) are still in flight.
    let system = spawn_with(|config| config.vault = rotating.clone()).await;
    let pool = system.stack().pool.clone();
    let old_role = SagaStore::new(
        pool.clone(),
        Policy {
            watch: None,
            ..Policy::default()
        },
        k1.clone(),
    );
    let mut ids = Vec::new();
    for _ in 0..TRIPS {
        let id = Uuid::now_v7();
        let handled = old_role
            .handle(&Envelope::new(id, trip_with(traveller)), Utc::now())
            .await
            .unwrap();
        assert!(matches!(handled, Handled::Applied { .. }), "{handled:?}");
        ids.push(id);
    }

    // Rotations in batches of one row, over and over while the sagas run.
    let done = CancellationToken::new();
    let rotations = tokio::spawn({
        let (pool, rotating, done) = (pool.clone(), rotating.clone(), done.clone());
        async move {
            let mut runs = 0;
            while !done.is_cancelled() && runs < 200 {
                keys::rotate(&pool, &rotating, 1).await.unwrap();
                runs += 1;
            }
            runs
        }
    });
    for id in &ids {
        assert_eq!(system.finished(*id).await.status, "booked");
    }
    done.cancel();
    assert!(rotations.await.unwrap() > 0);

    // Whatever the sagas wrote last is under k2; one more rotation settles
    // the rest, and nothing was lost or done twice.
    let summary = keys::rotate(&pool, &rotating, 1).await.unwrap();
    assert_eq!(summary.left(), 0, "{summary:?}");
    let status = keys::status(&pool, 10).await.unwrap();
    assert_eq!(status.total_under("k1"), 0, "{status:?}");
    assert_eq!(status.plaintext(), 0, "{status:?}");
    assert_eq!(system.ledger().live_orders().count(), TRIPS);
    for id in &ids {
        let row = load_saga(&pool, &k2, *id).await.unwrap().unwrap();
        assert_eq!(row.saga.trip.contact_email.expose(), CONTACT);
    }
    system.teardown().await;
}

#[tokio::test]
async fn a_saga_that_moves_while_it_is_resealed_is_left_alone_and_taken_next_pass() {
    let k1 = Keyring::generate("k1").unwrap();
    let k2 = Keyring::generate("k2").unwrap();
    let system = spawn_with(|config| config.vault = k1.clone()).await;
    let pool = system.stack().pool.clone();
    let id = system.submit(trip_with(traveller)).await;
    let booked = system.finished(id).await;

    // A writer holds the saga's row: the rotation's update waits on it.
    let mut writer = pool.begin().await.unwrap();
    testing::sagas::lock_row(&mut writer, id).await.unwrap();
    let rotation = tokio::spawn({
        let (pool, rotating) = (pool.clone(), k2.followed_by(&k1));
        async move { keys::rotate(&pool, &rotating, 10).await.unwrap() }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if testing::sagas::reseal_waits_on_lock(&pool).await.unwrap() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rotation never reached the saga"
        );
        tokio::task::yield_now().await;
    }
    // The writer moves the saga on (a new version, sealed under k1 by a
    // role not yet given k2) and commits: the rotation's update no longer
    // applies, and the next pass re-seals the new state.
    let moved = k1.seal_json(
        &serde_json::to_value(&booked.saga).unwrap(),
        &Place::saga(id),
    );
    testing::sagas::write_next_version(&mut writer, id, &moved)
        .await
        .unwrap();
    writer.commit().await.unwrap();
    let summary = rotation.await.unwrap();
    let sagas = summary.tables.iter().find(|t| t.table == "sagas").unwrap();
    assert_eq!(sagas.total.changed, 1, "{sagas:?}");
    assert_eq!(sagas.passes, 2, "{sagas:?}");
    assert_eq!((sagas.left_changing, summary.left()), (0, 0), "{summary:?}");
    let row = load_saga(&pool, &k2, id).await.unwrap().unwrap();
    assert_eq!(
        row.version,
        booked.version + 1,
        "the writer's version stands"
    );
    assert_eq!(row.saga, booked.saga);
    assert_eq!(keys::status(&pool, 10).await.unwrap().total_under("k1"), 0);
    system.teardown().await;
}
